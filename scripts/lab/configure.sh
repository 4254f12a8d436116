#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Configure $BUILD: tinyconfig of the architecture (ARCH=, default x86_64)
# plus config/lab.config and config/arch-$ARCH.config, plus
# config/impl-$IMPL.config where it exists, plus the fragments of the
# kernel variant settings (lib.sh: config/debug.config with DEBUG=1,
# config/debug-rseq.config with DEBUG_RSEQ=1). Every option that a fragment
# asks for must survive olddefconfig, or the build would silently test
# something else.
set -eu
# shellcheck source=scripts/lab/lib.sh
. "$(dirname "$0")/lib.sh"

case "$IMPL" in
c | rust) ;;
*) die "IMPL=$IMPL is not an implementation" "use IMPL=c (the C oracle) or IMPL=rust" ;;
esac

fragments="$LAB_ROOT/config/lab.config $LAB_ROOT/config/arch-$LAB_ARCH.config"
[ -f "$LAB_ROOT/config/impl-$IMPL.config" ] && fragments="$fragments $LAB_ROOT/config/impl-$IMPL.config"
# DEBUG=1, DEBUG_RSEQ=1: the variant's fragments, checked like the rest.
fragments="$fragments$VARIANT_FRAGMENTS"
if [ "$LAB_INLINE_HELPERS" != y ]; then
	warn "building with clang$LLVM_SUFFIX, not clang-$LLVM_WANT (rustc's LLVM): CONFIG_RUST_INLINE_HELPERS off"
	mkdir -p "$BUILD"
	echo "# CONFIG_RUST_INLINE_HELPERS is not set" >"$BUILD/.config.lab-noinline"
	fragments="$fragments $BUILD/.config.lab-noinline"
fi
for extra in ${CONFIG_EXTRA:-}; do
	[ -f "$extra" ] || die "CONFIG_EXTRA names $extra, which does not exist"
	fragments="$fragments $extra"
done

step "configure: $BUILD (IMPL=$IMPL, ARCH=$LAB_ARCH, DEBUG=$DEBUG, DEBUG_RSEQ=$DEBUG_RSEQ)"
mkdir -p "$BUILD"
kmake -s rustavailable >"$BUILD/rustavailable.log" 2>&1 ||
	die "the kernel says Rust is not available: $(grep -m1 -i -E 'error|not' "$BUILD/rustavailable.log")" \
		"see $BUILD/rustavailable.log; 'make provision' installs the toolchain"

new="$BUILD/.config.lab-new"
kmake -s KCONFIG_CONFIG=.config.lab-new tinyconfig >"$BUILD/config.log" 2>&1 ||
	die "tinyconfig failed" "see $BUILD/config.log"
# shellcheck disable=SC2086 # fragments is a list of paths
(cd "$BUILD" && "$TREE/scripts/kconfig/merge_config.sh" -m -O "$BUILD" "$new" $fragments) \
	>>"$BUILD/config.log" 2>&1 || die "merging config fragments failed" "see $BUILD/config.log"
mv "$BUILD/.config" "$new" 2>/dev/null || true
kmake -s KCONFIG_CONFIG=.config.lab-new olddefconfig >>"$BUILD/config.log" 2>&1 ||
	die "olddefconfig failed" "see $BUILD/config.log"

missing=""
# The last fragment that names an option wins, as in merge_config.sh.
# shellcheck disable=SC2086
while IFS= read -r line; do
	case "$line" in
	"# "*) ! grep -q "^${line#\# }"'=' "$new" ;;
	*) grep -qxF "$line" "$new" ;;
	esac || missing="$missing $line"
done < <(sed -n -E 's/^# (CONFIG_[A-Z0-9_]+) is not set$/# \1/p; /^CONFIG_[A-Z0-9_]+=/p' $fragments |
	awk '{ k = $0; sub(/^# /, "", k); sub(/=.*/, "", k); last[k] = $0; if (!(k in seen)) { seen[k] = 1; order[n++] = k } }
		END { for (i = 0; i < n; i++) print last[order[i]] }')
if [ -n "$missing" ]; then
	rm -f "$new"
	case "$missing" in
	*CONFIG_RSEQ_RUST=y*)
		die "this tree cannot set CONFIG_RSEQ_RUST=y (missing:$missing)" \
			"the series does not provide the Rust implementation yet, or its dependencies are off; use IMPL=c"
		;;
	esac
	die "config options did not stick:$missing" "check their dependencies in the tree's Kconfig"
fi

if cmp -s "$new" "$BUILD/.config"; then
	rm -f "$new"
	log "config unchanged"
else
	mv "$new" "$BUILD/.config"
	log "config written ($(grep -c '=y' "$BUILD/.config") options =y)"
fi
