#!/usr/bin/env bash
# Set up weightflow from nothing: a virtual environment in .venv with the package installed
# (editable). With --test, also the test and benchmark extras (pytest, hypothesis, torch==2.13.0).
# No system packages are needed yet: imageio-ffmpeg and Pillow ship what the pictures use.
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
echo "weightflow installed in .venv ($(.venv/bin/weightflow --version))"
