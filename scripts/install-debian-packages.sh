#!/bin/sh
# Install the Debian packages the hotline and its tests need, only those missing.
# mmdebstrap builds the Asterisk root; sip-tester (SIPp) places real SIP calls in tests;
# espeak-ng and sox speak and convert prompts; chromium runs the browser tests.
set -eu
PACKAGES="mmdebstrap sip-tester espeak-ng sox chromium redis-server ca-certificates"
missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "installing Debian packages:$missing"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
fi
