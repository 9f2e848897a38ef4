#!/usr/bin/env bash
# System packages the tests need beyond Python: Debian's Chromium (the browser test drives it with Playwright;
# never `playwright install`, which downloads a browser). Node.js 20+ and npm must already be installed.
set -euo pipefail
if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "[system] installing Debian's chromium"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium > /dev/null
fi
command -v npm > /dev/null || { echo "npm is missing: install Node.js 20 or newer (https://nodejs.org)"; exit 1; }
echo "[system] $("${CHROMIUM_PATH:-/usr/bin/chromium}" --version 2>/dev/null | head -1), node $(node --version)"
