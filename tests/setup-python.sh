#!/usr/bin/env bash
# Create (or reuse) the virtualenv with the real Python aiomas 2.0.1 that the
# interop tests talk to, and print the absolute path of its python on stdout.
#
#   AIOMAS_VENV    where the venv lives (default: <repo root>/.venv)
#   AIOMAS_BASE_PYTHON  interpreter that creates it (default: python3, tested: 3.11)
#
# Re-runs are fast: a stamp file inside the venv records the installed
# requirements, and pip runs only when they differ.  Concurrent runs (tests
# started in parallel) are serialised with a lock.  Everything but the final
# path goes to stderr.
set -euo pipefail

REQUIREMENTS=(
    aiomas==2.0.1
    msgpack==1.2.4
    blosc==1.11.4
    arrow==1.4.0
    python-dateutil==4.0.0  # needed by arrow
    tzdata==2026.6          # needed by arrow
    numpy==2.2.6            # the extension-type interop test (cp311 manylinux wheel)
)

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${AIOMAS_VENV:-$repo_root/.venv}"
python="${AIOMAS_BASE_PYTHON:-python3}"
stamp="$venv/aiomas-requirements.txt"
wanted="$(printf '%s\n' "${REQUIREMENTS[@]}")"

log() { echo "setup-python: $*" >&2; }

# One setup at a time per venv: tests may call this script concurrently.
lock="${TMPDIR:-/tmp}/aiomas-venv-$(printf '%s' "$venv" | cksum | cut -d' ' -f1).lock"
exec 9>"$lock"
flock 9

# Create the venv, or re-create it if its interpreter no longer runs (e.g. the
# base python was replaced).  Without the venv module (Debian's python3-venv
# missing), fall back to virtualenv from PyPI.
create_venv() {
    log "creating virtualenv in $venv with $("$python" --version 2>&1)"
    rm -rf "$venv"
    if ! "$python" -m venv "$venv" >&2; then
        log "python -m venv failed; using virtualenv from PyPI instead"
        rm -rf "$venv"
        local tmp
        tmp="$(mktemp -d)"
        "$python" -m pip install --quiet --target "$tmp" virtualenv >&2
        PYTHONPATH="$tmp" "$python" -m virtualenv --quiet "$venv" >&2
        rm -rf "$tmp"
    fi
}

if ! "$venv/bin/python" -c '' 2>/dev/null; then
    create_venv
fi

if [[ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]]; then
    log "installing ${REQUIREMENTS[*]}"
    rm -f "$stamp"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        --no-input --only-binary=:all: "${REQUIREMENTS[@]}" >&2
    "$venv/bin/python" -c 'import aiomas, arrow, blosc, msgpack, numpy' >&2
    printf '%s\n' "$wanted" >"$stamp"
else
    log "virtualenv $venv is up to date"
fi

# The venv's python is a symlink to the base interpreter: keep the link path
# (resolving it would leave the venv).
echo "$(cd "$venv/bin" && pwd)/python"
