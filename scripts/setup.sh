#!/usr/bin/env bash
# Installs what switchyard needs to build and test on Debian 12, with apt-get.
# Idempotent: when every package is already installed it changes nothing (and
# needs no network). Quiet when all goes well; on a failure it shows apt-get's
# output and exits non-zero.
set -euo pipefail

packages=(
	build-essential cmake pkg-config gcc
	libinih-dev libcmocka-dev libzydis-dev liblwip-dev libfuse3-dev fuse3 gnuplot-nox
	clang libclang-rt-14-dev
	python3 sqlite3 tar redis-server redis-tools hyperfine busybox lighttpd wrk
	util-linux procps jq git coreutils findutils gzip bash iproute2
)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null; then
		echo "setup.sh: not root and no sudo: install as root: ${missing[*]}" >&2
		exit 1
	fi
	as_root=(sudo)
fi

log=$(mktemp "${TMPDIR:-/tmp}/switchyard-setup.XXXXXX")
trap 'rm -f "$log"' EXIT
run() {
	if ! "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive "$@" >>"$log" 2>&1; then
		cat "$log" >&2
		echo "setup.sh: failed: $*" >&2
		exit 1
	fi
}

echo "setup.sh: installing ${missing[*]}" >&2
run apt-get update -q
run apt-get install -y -q --no-install-recommends "${missing[@]}"
