# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the rseq lab scripts: logging with elapsed time,
# fatal errors that say what to do next, and the common paths.
# Sourced, never executed.

LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=${WORK:-$LAB_ROOT/out}
LAB_CACHE=${LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rseq-lab}
LAB_T0=${LAB_T0:-$(date +%s)}
export LAB_T0

_elapsed() {
	local s=$(($(date +%s) - LAB_T0))
	printf '%02d:%02d' $((s / 60)) $((s % 60))
}

log() {
	printf '[%s] %s\n' "$(_elapsed)" "$*"
}

step() {
	printf '\n[%s] ==> %s\n' "$(_elapsed)" "$*"
}

warn() {
	printf '[%s] WARNING: %s\n' "$(_elapsed)" "$*" >&2
}

# die MESSAGE [HINT]: one line saying what failed, one saying what to do.
die() {
	printf '[%s] ERROR: %s\n' "$(_elapsed)" "$1" >&2
	if [ $# -gt 1 ]; then
		printf '         next: %s\n' "$2" >&2
	fi
	exit 1
}

# The kernel tree the series is applied to, and one build folder per
# variant (VARIANT, below): the implementation of rseq, its architecture and
# the kernel variant settings (DEBUG=1, DEBUG_RSEQ=1).
TREE=${LAB_TREE:-$WORK/linux}
IMPL=${IMPL:-c}
DEBUG=${DEBUG:-0}

# The architecture of the guest: LAB_ARCH (make's ARCH=) x86_64, the
# default, or arm64 (a cross build, booted with qemu-system-aarch64 -M
# virt). KARCH is the kernel's ARCH=, KIMAGE the boot image in the build
# folder and KIMAGE_TARGET its make target; ARCH_ARG what a next: hint adds to
# a make command line. An arm64 variant is named arm64-IMPL, so that its
# build folder, guest and outputs never mix with x86_64's.
#
# lab_variant ARCH IMPL [SUFFIX...]: the name of a build (VARIANT): its
# build folder, guest and outputs. IMPL on x86_64, arm64-IMPL on arm64,
# then -SUFFIX for each kernel variant setting (c-debug,
# arm64-c-debugrseq, below).
lab_variant() {
	local name="$2" suffix
	case "$1" in
	x86_64) ;;
	arm64) name="arm64-$name" ;;
	*) die "lab_variant: $1 is not an architecture of the lab" "use x86_64 or arm64" ;;
	esac
	shift 2
	for suffix in "$@"; do
		name="$name-$suffix"
	done
	echo "$name"
}
LAB_ARCH=${LAB_ARCH:-${ARCH:-x86_64}}
unset ARCH
# shellcheck disable=SC2034 # read by the scripts that source lib.sh
case "$LAB_ARCH" in
x86_64 | x86)
	LAB_ARCH=x86_64 KARCH=x86 KIMAGE_TARGET=bzImage CROSS_COMPILE_PREFIX="" ARCH_ARG=""
	;;
arm64 | aarch64)
	LAB_ARCH=arm64 KARCH=arm64 KIMAGE_TARGET=Image CROSS_COMPILE_PREFIX=aarch64-linux-gnu-
	ARCH_ARG=" ARCH=arm64"
	;;
*)
	die "ARCH=$LAB_ARCH is not an architecture of the lab" "use ARCH=arm64, or leave ARCH out (x86_64)"
	;;
esac
export LAB_ARCH
# Kernel variants on top of IMPL and ARCH, each SETTING:SUFFIX:FRAGMENT.
# SETTING=1 adds config/FRAGMENT to the build (configure.sh) and -SUFFIX to
# VARIANT (lab_variant), so that its build folder, guest and outputs are its own:
#   DEBUG=1       the debug kernel (KASAN, lockdep, UBSAN, ...): c-debug
#   DEBUG_RSEQ=1  CONFIG_DEBUG_RSEQ (arm64 only: it needs !GENERIC_ENTRY),
#                 which selects RSEQ_DEBUG_DEFAULT_ENABLE: arm64-c-debugrseq
#   DOCTESTS=1    the kernel crate's doc examples as a KUnit suite at boot
#                 (CONFIG_RUST_KERNEL_DOCTESTS): rust-doctests
# VARIANT_FRAGMENTS lists their fragments; DEBUG_ARG is what a next: hint
# adds to a make command line (" ARCH=arm64 DEBUG=1", or nothing).
DEBUG_RSEQ=${DEBUG_RSEQ:-0}
DOCTESTS=${DOCTESTS:-0}
DEBUG_ARG=$ARCH_ARG
VARIANT_FRAGMENTS=""
_suffixes=""
for _variant in DEBUG:debug:debug.config DEBUG_RSEQ:debugrseq:debug-rseq.config \
	DOCTESTS:doctests:doctests.config; do
	_setting=${_variant%%:*}
	case "${!_setting}" in
	0) continue ;;
	1) ;;
	*) die "$_setting=${!_setting} is not a setting" "use $_setting=1, or leave it out" ;;
	esac
	_variant=${_variant#*:}
	_suffixes="$_suffixes ${_variant%%:*}"
	DEBUG_ARG="$DEBUG_ARG $_setting=1"
	VARIANT_FRAGMENTS="$VARIANT_FRAGMENTS $LAB_ROOT/config/${_variant#*:}"
done
# VARIANT_APPEND: kernel parameters every boot of the variant needs.
# x86_64 debug kernels boot with 4-level paging (no5lvl): QEMU's -cpu max
# has LA57, and while identify_cpu() re-reads the CPU features at boot,
# X86_FEATURE_LA57 is clear for a moment, so KASAN computes its shadow
# range for 4-level paging; an interrupt in that window then reports a
# valid 5-level direct-map address as "wild-memory-access" (seen in
# handle_edge_irq(), rseq_debug=1 boot of the Rust debug kernel), and the
# report switches lockdep off for the rest of the run.
VARIANT_APPEND=""
if [ "$DEBUG" = 1 ] && [ "$LAB_ARCH" = x86_64 ]; then
	# shellcheck disable=SC2034 # read by the scripts that source lib.sh
	VARIANT_APPEND="no5lvl"
fi
# VARIANT_SUFFIXES: the suffixes of the settings that are on (for
# lab_variant of another IMPL, as make soak does).
VARIANT_SUFFIXES=${_suffixes# }
# shellcheck disable=SC2086 # VARIANT_SUFFIXES is a list
VARIANT=$(lab_variant "$LAB_ARCH" "$IMPL" $VARIANT_SUFFIXES)
unset _variant _setting _suffixes
if [ "$DEBUG_RSEQ" = 1 ] && [ "$LAB_ARCH" != arm64 ]; then
	die "DEBUG_RSEQ=1 needs ARCH=arm64: CONFIG_DEBUG_RSEQ depends on !GENERIC_ENTRY, which $LAB_ARCH selects" \
		"make run ARCH=arm64 DEBUG_RSEQ=1 IMPL=$IMPL"
fi
BUILD=${LAB_BUILD:-$WORK/build-$VARIANT}
# shellcheck disable=SC2034 # read by the scripts that source lib.sh
KIMAGE=$BUILD/arch/$KARCH/boot/$KIMAGE_TARGET

# cargo install puts bindgen into $CARGO_HOME/bin (rustup: ~/.cargo/bin).
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# The clang for the kernel is the one whose LLVM major version is rustc's
# (rustc -vV), so that init/Kconfig's RUSTC_CLANG_LLVM_COMPATIBLE holds and
# CONFIG_RUST_INLINE_HELPERS can be selected. provision.sh installs it; if
# the machine cannot have it, the newest installed clang is used with a
# warning and LAB_INLINE_HELPERS=n (configure.sh then turns them off).
# LLVM_SUFFIX=-NN overrides the choice.
LLVM_FALLBACK_MAJOR=19
rustc_llvm_major() {
	rustc -vV 2>/dev/null | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p'
}
LLVM_WANT=$(rustc_llvm_major)
LLVM_WANT=${LLVM_WANT:-$LLVM_FALLBACK_MAJOR}
if [ -z "${LLVM_SUFFIX:-}" ]; then
	LLVM_SUFFIX=-$LLVM_WANT
	if ! command -v "clang$LLVM_SUFFIX" >/dev/null 2>&1; then
		newest=$(compgen -c clang- | grep -E '^clang-[0-9]+$' | sort -t- -k2 -n | tail -n1)
		[ -n "$newest" ] && LLVM_SUFFIX=-${newest#clang-}
	fi
fi
# GUEST_CC: the C compiler for the guest's user space (the selftests, the
# probe). arm64: the lab's clang for aarch64-linux-gnu with Debian's arm64
# cross glibc, libgcc and binutils. Not gcc-aarch64-linux-gnu: Debian 12's
# gcc-multilib, which the x86_64 compat test needs, conflicts with every
# cross gcc, so installing one would remove it.
GUEST_CC=gcc
# shellcheck disable=SC2034 # read by the scripts that source lib.sh
[ "$LAB_ARCH" = arm64 ] && GUEST_CC="clang$LLVM_SUFFIX --target=aarch64-linux-gnu"
export LAB_INLINE_HELPERS=n
[ "$LLVM_SUFFIX" = "-$LLVM_WANT" ] && LAB_INLINE_HELPERS=y
export LIBCLANG_PATH=${LIBCLANG_PATH:-/usr/lib/llvm${LLVM_SUFFIX}/lib}

# Builds take both cores: serialize every kernel build on this machine.
BUILD_LOCK=${BUILD_LOCK:-/tmp/rseq-lab-build.lock}

# missing_packages PKG...: print those of the Debian packages that are not
# installed.
missing_packages() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || printf ' %s' "$p"
	done
}

# apt_ready: refresh the package lists once per run (a fresh machine has
# none, and apt-cache finds nothing before it).
apt_ready() {
	[ -n "${LAB_APT_UPDATED:-}" ] && return 0
	[ "$(id -u)" = 0 ] || die "Debian packages are missing and this is not root" \
		"run 'make provision' as root, or install the packages named above"
	log "updating the package lists (apt-get update)"
	apt-get update -qq >/dev/null || die "apt-get update failed" "check the apt mirror in /etc/apt/sources.list.d"
	LAB_APT_UPDATED=1
}

# ensure_packages PKG...: install the Debian packages that are missing.
ensure_packages() {
	local missing
	missing=$(missing_packages "$@")
	[ -n "$missing" ] || return 0
	log "installing Debian packages:$missing"
	apt_ready
	# shellcheck disable=SC2086 # word splitting of the package list is intended
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
		die "apt-get install failed for:$missing" "run 'apt-get install$missing' by hand to see why"
}

# C objects go through ccache, with its cache outside the repository: the
# second build of a run (IMPL=rust) shares most C objects with the first,
# and ccache's preprocessor mode hashes the preprocessed source, so exactly
# the objects that CONFIG_RSEQ_RUST changes are compiled again.
# LAB_CCACHE=0 compiles without it.
LAB_CCACHE=${LAB_CCACHE:-1}
export CCACHE_DIR=${CCACHE_DIR:-$LAB_CACHE/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-4G}

# kmake_cc: the CC= argument of kmake, if any.
kmake_cc() {
	if [ "$LAB_CCACHE" = 1 ] && command -v ccache >/dev/null 2>&1; then
		printf 'CC=ccache clang%s' "$LLVM_SUFFIX"
	fi
}

# kmake ARGS...: make in the kernel tree with the lab's toolchain.
kmake() {
	local cc
	cc=$(kmake_cc)
	if [ "$KARCH" = x86 ]; then
		make -C "$TREE" O="$BUILD" LLVM="$LLVM_SUFFIX" ${cc:+"$cc"} "$@"
	else
		make -C "$TREE" O="$BUILD" ARCH="$KARCH" LLVM="$LLVM_SUFFIX" ${cc:+"$cc"} "$@"
	fi
}

# ccache_counts: "HITS MISSES" of the lab's ccache so far (0 0 without it).
ccache_counts() {
	if [ -z "$(kmake_cc)" ]; then
		echo "0 0"
		return
	fi
	ccache --print-stats 2>/dev/null | awk '
		$1 ~ /^(direct|preprocessed)_cache_hit$/ { h += $2 }
		$1 == "cache_miss" { m = $2 }
		END { printf "%d %d\n", h, m }'
}

# Print the kernel version of a source tree as MAJOR.MINOR.SUB.
tree_version() {
	local mk="$1/Makefile"
	awk -F' *= *' '
		$1 == "VERSION" { v = $2 }
		$1 == "PATCHLEVEL" { p = $2 }
		$1 == "SUBLEVEL" { s = $2 }
		END { if (v != "" && p != "") printf "%s.%s.%s\n", v, p, s }
	' "$mk" 2>/dev/null
}

# Pass/fail tally for the lab's own checks (check.sh, selftest.sh).
pass=0
fail=0
ok() {
	pass=$((pass + 1))
	log "  ok   $*"
}
bad() {
	fail=$((fail + 1))
	log "  FAIL $*"
}

# tree_has_rseq_rust DIR: whether the kernel tree DIR has
# CONFIG_RSEQ_RUST, i.e. the series has reached the patch that adds it to
# init/Kconfig, next to the C implementation's RSEQ options.
tree_has_rseq_rust() {
	grep -q -x 'config RSEQ_RUST' "$1/init/Kconfig" 2>/dev/null
}

# GUEST_BUSYBOX, GUEST_BASH: the static busybox and bash for the guest.
# x86_64: the machine's own (Debian's busybox-static, /bin/bash); arm64:
# Debian's busybox-static and bash-static for arm64, which cannot be
# installed next to the amd64 ones: fetched with apt-get download through a
# private apt configuration (the machine's mirror, this Debian release,
# Architecture arm64) and unpacked with dpkg-deb -x into $LAB_CACHE/arm64.
GUEST_BUSYBOX=/bin/busybox
GUEST_BASH=/bin/bash
if [ "$LAB_ARCH" = arm64 ]; then
	GUEST_BUSYBOX=$LAB_CACHE/arm64/root/bin/busybox
	GUEST_BASH=$LAB_CACHE/arm64/root/bin/bash-static
fi

# fetch_guest_userland: make sure GUEST_BUSYBOX and GUEST_BASH exist.
fetch_guest_userland() {
	[ "$LAB_ARCH" = arm64 ] || return 0
	[ -x "$GUEST_BUSYBOX" ] && [ -x "$GUEST_BASH" ] && return 0
	local d="$LAB_CACHE/apt-arm64" mirror suite deb opts
	log "fetching busybox-static and bash-static for arm64 (apt-get download)"
	mkdir -p "$d/etc/sources.list.d" "$d/etc/preferences.d" "$d/lists/partial" \
		"$d/archives/partial" "$LAB_CACHE/arm64/debs"
	# shellcheck disable=SC2016 # $(REPO_URI) is apt's format, not the shell's
	mirror=$(apt-get indextargets --format '$(REPO_URI)' 2>/dev/null |
		grep -v -e security -e '^$' | sort -u | head -n1)
	mirror=${mirror:-http://deb.debian.org/debian/}
	suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
	printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nArchitectures: arm64\nSigned-By: %s\n' \
		"${mirror%/}" "$suite" /usr/share/keyrings/debian-archive-keyring.gpg \
		>"$d/etc/sources.list.d/lab.sources"
	opts=(-o "Dir::Etc=$d/etc" -o Dir::Etc::sourcelist=/dev/null
		-o "Dir::Etc::sourceparts=$d/etc/sources.list.d" -o "Dir::State=$d"
		-o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d" -o Dir::State::status=/dev/null
		-o APT::Sandbox::User=root -o Debug::NoLocking=1
		-o APT::Architecture=arm64 -o APT::Architectures=arm64)
	apt-get "${opts[@]}" -qq update ||
		die "apt-get update of the arm64 lists ($suite) failed" "check the network to $mirror"
	(cd "$LAB_CACHE/arm64/debs" && apt-get "${opts[@]}" -qq download busybox-static bash-static) ||
		die "apt-get download of busybox-static/bash-static for arm64 failed" "check the network to $mirror"
	for deb in "$LAB_CACHE"/arm64/debs/*.deb; do
		dpkg-deb -x "$deb" "$LAB_CACHE/arm64/root"
	done
	if [ ! -x "$GUEST_BUSYBOX" ] || [ ! -x "$GUEST_BASH" ]; then
		die "no $GUEST_BUSYBOX or $GUEST_BASH after unpacking" "rm -rf $LAB_CACHE/arm64 and run again"
	fi
}

# install_busybox ROOT [APPLET...]: Debian's static busybox (the guest has
# no libraries for it) as ROOT/bin/busybox, with a link in ROOT/bin for
# every applet but the APPLETs named. An arm64 busybox cannot run here: its
# applets are those of the machine's busybox of the same Debian release.
install_busybox() {
	local root="$1" busybox=$GUEST_BUSYBOX applet
	shift
	file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
		die "$busybox is missing or not statically linked" "apt-get install busybox-static"
	mkdir -p "$root/bin"
	cp "$busybox" "$root/bin/busybox"
	for applet in $(/bin/busybox --list); do
		case " busybox $* " in
		*" $applet "*) ;;
		*) ln -s busybox "$root/bin/$applet" ;;
		esac
	done
}

# install_guest_init ROOT CONF...: the lab's /init (guest-init.sh) and its
# /lab.conf, one CONF line (shell assignment) a line; LAB_GUEST=... names
# what the guest runs.
install_guest_init() {
	local root="$1"
	shift
	install -m 0755 "$LAB_ROOT/scripts/lab/guest-init.sh" "$root/init"
	printf '%s\n' "$@" >"$root/lab.conf"
}

# pack_initramfs ROOT OUT: the folder ROOT as a gzipped newc cpio archive.
pack_initramfs() {
	(cd "$1" && find . | cpio -o -H newc --quiet | gzip -1) >"$2"
}

# The repository whose series/ and kernel-path files are applied (a lab
# selftest points it at a scratch repository), and the ref in the kernel
# tree that records the last head apply-series.sh checked out.
SERIES_ROOT=${SERIES_ROOT:-$LAB_ROOT}
export APPLIED_REF=refs/rseq-lab/applied

# build_lock: wait for the machine's kernel build lock (file descriptor 9)
# and hold it until 'flock -u 9' or the end of the script.
build_lock() {
	exec 9>"$BUILD_LOCK"
	if ! flock -n 9; then
		log "waiting for another kernel build on this machine ($BUILD_LOCK)"
		flock 9
	fi
}

# tree_idle DIR: stop if the git tree DIR is in the middle of a rebase,
# merge or cherry-pick.
tree_idle() {
	local state
	for state in rebase-merge rebase-apply MERGE_HEAD CHERRY_PICK_HEAD; do
		[ ! -e "$(git -C "$1" rev-parse --git-path "$state")" ] ||
			die "$1 is in the middle of a git operation ($state)" "finish it (git status), then run again"
	done
}

