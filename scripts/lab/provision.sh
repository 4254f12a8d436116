#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install what the lab needs, skipping what is present, then check versions.
set -eu
# shellcheck source=scripts/lab/lib.sh
. "$(dirname "$0")/lib.sh"

DEBIAN_PACKAGES="qemu-system-x86 busybox-static clang-19 lld-19 llvm-19
libclang-19-dev flex bison bc libelf-dev libssl-dev cpio make gcc libc6-dev
rsync kmod xz-utils python3 git shellcheck file gcc-multilib"
BINDGEN_VERSION=0.72.1

step "provision: toolchain and packages"

missing=""
for p in $DEBIAN_PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
if [ -n "$missing" ]; then
	log "installing Debian packages:$missing"
	[ "$(id -u)" = 0 ] || die "packages missing:$missing" "install them as root: apt-get install$missing"
	apt-get update -qq >/dev/null || die "apt-get update failed" "check the apt mirror in /etc/apt/sources.list.d"
	# shellcheck disable=SC2086 # word splitting of the package list is intended
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
		die "apt-get install failed for:$missing" "run it by hand to see why"
else
	log "Debian packages present"
fi

command -v rustup >/dev/null || die "rustup not found" "this machine's Rust toolchain comes from rustup in ~/.cargo/bin"
if ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
	log "adding rustup component rust-src"
	rustup component add rust-src >/dev/null || die "rustup component add rust-src failed"
else
	log "rust-src present"
fi

have_bindgen=$(bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have_bindgen" != "$BINDGEN_VERSION" ] &&
	[ "$(printf '%s\n%s\n' "$BINDGEN_VERSION" "${have_bindgen:-0}" | sort -V | head -n1)" != "$BINDGEN_VERSION" ]; then
	log "building bindgen-cli $BINDGEN_VERSION with cargo (about 3 minutes)"
	cargo install --locked bindgen-cli --version "$BINDGEN_VERSION" >"$WORK/bindgen-install.log" 2>&1 ||
		die "cargo install bindgen-cli failed" "see $WORK/bindgen-install.log"
else
	log "bindgen $have_bindgen present"
fi

log "rustc $(rustc --version | cut -d" " -f2), bindgen $(bindgen --version | cut -d" " -f2), clang $(clang"$LLVM_SUFFIX" --version | grep -o "version [0-9.]*" | head -n1 | cut -d" " -f2), qemu $(qemu-system-x86_64 --version | grep -o "version [0-9.]*" | cut -d" " -f2)"
