#!/usr/bin/env bash
# Installs Playwright (Python) into .venv-browser and runs the browser journeys with Debian's chromium.
# Usage: tools/browser/run.sh [path/to/covenant]
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v chromium >/dev/null || { echo "chromium is missing: apt-get install -y chromium" >&2; exit 2; }
[ -x .venv-browser/bin/python ] || python3 -m venv .venv-browser
.venv-browser/bin/python -c "import playwright" 2>/dev/null || .venv-browser/bin/pip install -q "playwright>=1.40"
exec .venv-browser/bin/python tools/browser/journeys.py "${1:-.build/debug/covenant}"
