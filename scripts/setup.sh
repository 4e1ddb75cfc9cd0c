#!/usr/bin/env bash
# Set up (or refresh) the project's virtual environment in .venv: idempotent, safe to rerun.
# Needs python3 >= 3.11 with venv; installs the runtime and dev dependencies from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
    echo "setup: need Python 3.11 or newer as '$PYTHON' (set PYTHON=...)" >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv || {
        echo "setup: python venv is missing; on Debian: apt-get install python3-venv" >&2; exit 1; }
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev]'
# The web view layer (layers app) needs headless Chromium and the example app's npm packages.
bash scripts/setup-browser.sh
echo "setup: ready (.venv/bin/layers)"
