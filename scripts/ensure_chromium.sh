#!/usr/bin/env bash
# Browser tests drive Debian's chromium through Playwright (Playwright's own browser download
# cannot work offline). Install it when missing; needs root or sudo.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "chromium is missing and this user cannot install it: browser tests will be skipped" >&2
    exit 0
  fi
fi
echo "installing Debian chromium for the browser tests ..." >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
