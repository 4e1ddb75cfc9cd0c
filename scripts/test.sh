#!/usr/bin/env bash
# The second command for a new user (and what CI runs): set up, then run the test suite.
# The native kernels run twice: compiled, and once more as plain Python (NUMBA_DISABLE_JIT=1)
# so the interpreted path stays correct and debuggable.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m pytest -q "$@"
NUMBA_DISABLE_JIT=1 .venv/bin/python -m pytest -q tests/native -p no:cacheprovider
