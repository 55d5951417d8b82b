#!/bin/sh
# Install Debian's chromium (+ chromium-driver) for the browser tests in tests/browser/,
# and a CJK font so screenshots of the Chinese UI show characters, not boxes.
# Idempotent: installs only what is missing. Needs root (CI runs as root).
set -eu

missing=""
if [ ! -x /usr/bin/chromium ]; then
    missing="chromium chromium-driver"
fi
if ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then
    missing="$missing fonts-noto-cjk"
fi
if [ -z "$missing" ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "ensure-chromium: missing $missing; run this script as root" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
# shellcheck disable=SC2086  # the package list is meant to split into words
apt-get install -y --no-install-recommends $missing

if [ ! -x /usr/bin/chromium ]; then
    echo "ensure-chromium: apt-get finished but /usr/bin/chromium is still missing" >&2
    exit 1
fi
