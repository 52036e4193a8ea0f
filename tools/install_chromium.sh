#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests (tests/test_browser.py),
# only when /usr/bin/chromium is missing. Non-interactive; needs root (CI
# runs as root) or sudo. Safe to run again: it does nothing when present.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install_chromium.sh: $CHROMIUM is missing and this is not root (no sudo either)." >&2
        echo "Install the Debian package 'chromium' by hand." >&2
        exit 1
    fi
fi

echo "install_chromium.sh: installing Debian's chromium (for the browser tests) ..." >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null

if [ ! -x "$CHROMIUM" ]; then
    echo "install_chromium.sh: apt-get finished but $CHROMIUM is still missing." >&2
    exit 1
fi
"$CHROMIUM" --version >&2
