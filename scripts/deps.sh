#!/bin/sh
# Installs the Debian packages smtps-sim needs, only those that are missing.
# Idempotent; runs apt-get directly as root and through sudo otherwise.
set -eu

PKGS="build-essential pkg-config libbearssl-dev libssl-dev libncurses-dev libinih-dev libjansson-dev \
libpcap-dev libspf2-dev libopendkim-dev libopendmarc-dev libcmocka-dev tmux tshark clang \
libclang-rt-14-dev valgrind openssl python3-dkim swaks libnet-ssleay-perl msmtp curl python3-aiosmtpd"
[ "${1:-}" = "--runtime" ] && PKGS="build-essential pkg-config libbearssl-dev libssl-dev libncurses-dev \
libinih-dev libjansson-dev libpcap-dev libspf2-dev libopendkim-dev libopendmarc-dev"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "deps: missing packages:$missing (run as root or install sudo)" >&2
	exit 1
fi
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; the default answer is fine.
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
