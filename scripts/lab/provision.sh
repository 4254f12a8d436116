#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install what the lab needs, skipping what is present, then check versions.
# Works on a fresh machine: no out/, no package lists, no clang, no bindgen.
set -eu
# shellcheck source=scripts/lab/lib.sh
. "$(dirname "$0")/lib.sh"

DEBIAN_PACKAGES="qemu-system-x86 busybox-static flex bison bc libelf-dev
libssl-dev cpio make gcc libc6-dev rsync kmod xz-utils python3 git shellcheck
file gcc-multilib ccache"
# ARCH=arm64 (make run ARCH=arm64, make test): the arm64 C library, libgcc
# and binutils that clang-NN --target=aarch64-linux-gnu builds the guest's
# user space with (no cross gcc: it conflicts with gcc-multilib), and QEMU
# for arm64. The guest's busybox and bash are fetched with apt-get download
# (lib.sh, fetch_guest_userland).
ARM64_PACKAGES="libc6-dev-arm64-cross libgcc-12-dev-arm64-cross binutils-aarch64-linux-gnu qemu-system-arm"
[ "$LAB_ARCH" = arm64 ] && DEBIAN_PACKAGES="$DEBIAN_PACKAGES $ARM64_PACKAGES"
BINDGEN_VERSION=0.72.1

# The LLVM toolchain of major version $1: clang, lld, llvm and the libclang
# that bindgen loads.
llvm_packages() {
	printf 'clang-%s lld-%s llvm-%s libclang-%s-dev' "$1" "$1" "$1" "$1"
}

step "provision: toolchain and packages"
mkdir -p "$WORK"

command -v rustc >/dev/null || die "rustc not found" "this machine's Rust toolchain comes from rustup in ~/.cargo/bin"
llvm=$LLVM_WANT
log "rustc $(rustc --version | cut -d' ' -f2) is built on LLVM $LLVM_WANT: the kernel is built with clang-$llvm"
if [ -n "$(missing_packages "clang-$llvm")" ]; then
	apt_ready
	if ! apt-cache policy "clang-$llvm" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
		llvm=$LLVM_FALLBACK_MAJOR
		warn "clang-$LLVM_WANT (rustc's LLVM) is not in this machine's package archive: falling back to clang-$llvm; CONFIG_RUST_INLINE_HELPERS will be off"
	fi
fi
# shellcheck disable=SC2046,SC2086 # both are lists
ensure_packages $DEBIAN_PACKAGES $(llvm_packages "$llvm")
log "Debian packages present"

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

log "rustc $(rustc --version | cut -d" " -f2), bindgen $(bindgen --version | cut -d" " -f2), clang $(clang-"$llvm" --version | grep -o "version [0-9.]*" | head -n1 | cut -d" " -f2), qemu $(qemu-system-x86_64 --version | grep -o "version [0-9.]*" | cut -d" " -f2)"
