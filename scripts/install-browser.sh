#!/usr/bin/env bash
# Installs Debian's chromium for the browser test of the HTML reports (test/browser.test.ts),
# when running as root and no Chromium is on the PATH. Without root, or when apt-get fails,
# it changes nothing: the browser test then skips, saying why.
set -u
[ "$(uname -s)" = Linux ] || exit 0
command -v chromium >/dev/null || command -v chromium-browser >/dev/null && exit 0
[ "$(id -u)" = 0 ] || { echo "install-browser: not root; the browser test will be skipped" >&2; exit 0; }
command -v apt-get >/dev/null || { echo "install-browser: no apt-get; install chromium by hand" >&2; exit 0; }
echo "install-browser: installing chromium" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null || echo "install-browser: apt-get failed; the browser test will say so" >&2
exit 0
