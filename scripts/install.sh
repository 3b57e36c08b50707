#!/usr/bin/env bash
# Set up weightflow from nothing: a virtual environment in .venv with the package installed
# (editable). With --test, also the test and benchmark extras (pytest, hypothesis, torch==2.13.0,
# playwright) and Debian's chromium at /usr/bin/chromium, which the report tests drive headless
# (apt-get, so run --test as root, as CI does; skipped when chromium is already there).
# Without --test no system packages are needed: imageio-ffmpeg and Pillow ship what the pictures use.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
extras=""
if [ "${1:-}" = "--test" ]; then extras="[test]"; fi
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip >/dev/null
.venv/bin/python -m pip install --quiet -e ".${extras}"
if [ -n "$extras" ] && [ ! -x /usr/bin/chromium ]; then
    echo "installing Debian's chromium for the report tests (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi
echo "weightflow installed in .venv ($(.venv/bin/weightflow --version))"
