#!/usr/bin/env bash
# Runs every test of the workspace, interop tests against the real Python aiomas included.
# Sets up the Python virtualenv itself (tests/setup-python.sh), so a fresh machine needs nothing else.
#
# The suites run in named groups, each announced by a `==> [n/N] ...` line (and followed by its
# duration), so a long step says what it is doing; the last line sums up all groups.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

groups=7
step=0
started=$SECONDS
announce() {
    step=$((step + 1))
    group_started=$SECONDS
    echo "==> [$step/$groups] $*"
}
took() { echo "    [$step/$groups] done in $((SECONDS - group_started)) s"; }

announce "setting up the Python peers (virtualenv with aiomas 2.0.1; fast when it exists)"
AIOMAS_PYTHON="$(bash tests/setup-python.sh)"
export AIOMAS_PYTHON
echo "interop peer: $("$AIOMAS_PYTHON" -c 'import aiomas, sys; print("aiomas", aiomas.__version__, "on Python", sys.version.split()[0])')"
took

# Tests run the example binaries (and Python drives some of them), so build them first.
announce "building the examples"
cargo build --workspace --examples
took

# The integration tests of aiomas-tests, split into those with Rust peers only and those that
# drive Python (or mosaik) peers. New test files join a group by their name.
rust_only=()
with_python=()
for file in tests/tests/*.rs; do
    name="$(basename "$file" .rs)"
    case "$name" in
        *interop* | *mosaik*) with_python+=(--test "$name") ;;
        *) rust_only+=(--test "$name") ;;
    esac
done
names() { printf '%s\n' "$@" | grep -v -- '^--test$' | paste -sd' ' -; }

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
run() { "$@" 2>&1 | tee -a "$log"; }

announce "unit tests of the library, the macros and the examples"
run cargo test --workspace --all-targets --exclude aiomas-tests --exclude aiomas-ui-tests
took

announce "integration tests with Rust peers: $(names "${rust_only[@]}")"
run cargo test -p aiomas-tests --lib "${rust_only[@]}"
took

announce "interop suites against the real Python peers: $(names "${with_python[@]}")"
run cargo test -p aiomas-tests "${with_python[@]}"
took

announce "macro compile-fail and compile-pass cases (trybuild: $(ls ui-tests/tests/ui/*/*.rs | wc -l) crates, quiet for a minute or two)"
run cargo test -p aiomas-ui-tests
took

announce "doctests (README included)"
run cargo test --workspace --doc
took

# One closing line over all test binaries and doctests.
echo "all groups done in $((SECONDS - started)) s"
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed;/) p += $i; if ($(i+1) ~ /^failed;/) f += $i; if ($(i+1) ~ /^ignored;/) s += $i } }
     END { printf "all tests: %d passed, %d failed, %d skipped\n", p, f, s; if (p == 0 || f > 0) exit 1 }' "$log"
