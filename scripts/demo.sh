#!/usr/bin/env bash
# The first command for a new user: set up, then render the built-in demo to demo.mp4.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/layers demo "$@"
