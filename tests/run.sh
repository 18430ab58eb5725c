#!/usr/bin/env bash
# Runs every test of the workspace, interop tests against the real Python aiomas included.
# Sets up the Python virtualenv itself (tests/setup-python.sh), so a fresh machine needs nothing else.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

AIOMAS_PYTHON="$(bash tests/setup-python.sh)"
export AIOMAS_PYTHON
echo "interop peer: $("$AIOMAS_PYTHON" -c 'import aiomas, sys; print("aiomas", aiomas.__version__, "on Python", sys.version.split()[0])')"

# Tests run the example binaries (and Python drives some of them), so build them first.
cargo build --workspace --examples

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
cargo test --workspace --all-targets 2>&1 | tee -a "$log"
cargo test --workspace --doc 2>&1 | tee -a "$log"

# One closing line over all test binaries and doctests.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed;/) p += $i; if ($(i+1) ~ /^failed;/) f += $i; if ($(i+1) ~ /^ignored;/) s += $i } }
     END { printf "all tests: %d passed, %d failed, %d skipped\n", p, f, s; if (p == 0 || f > 0) exit 1 }' "$log"
