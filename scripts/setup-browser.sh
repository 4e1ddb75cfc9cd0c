#!/usr/bin/env bash
# Install what `layers app` and tests/webview need: Debian's chromium-headless-shell (the only
# Chromium with HeadlessExperimental.beginFrame) and the example app's @zoom/appssdk (npm install).
# Idempotent: installs only what is missing, and says what it did. apt-get runs only as root.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v chromium-headless-shell >/dev/null 2>&1; then
    echo "setup-browser: chromium-headless-shell already installed ($(command -v chromium-headless-shell))"
elif [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup-browser: installing chromium-headless-shell with apt-get"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium-headless-shell
    echo "setup-browser: installed $(chromium-headless-shell --version 2>/dev/null || echo chromium-headless-shell)"
else
    echo "setup-browser: chromium-headless-shell is missing; as root run: apt-get install chromium-headless-shell" >&2
    echo "setup-browser: (the webview tests skip without it)" >&2
fi

APP=examples/camera-app
if [ -f "$APP/node_modules/@zoom/appssdk/dist/sdk.es.js" ]; then
    echo "setup-browser: $APP/node_modules/@zoom/appssdk already installed"
elif command -v npm >/dev/null 2>&1; then
    echo "setup-browser: npm install in $APP (@zoom/appssdk from the npm registry)"
    (cd "$APP" && npm install --no-audit --no-fund)
else
    echo "setup-browser: npm is missing; install Node.js + npm, then run: (cd $APP && npm install)" >&2
fi
