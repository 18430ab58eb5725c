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
cargo test --workspace --all-targets
cargo test --workspace --doc
