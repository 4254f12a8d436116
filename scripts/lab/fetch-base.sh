#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fetch Debian's linux-source-7.3 binary package into the cache and check
# its sha256. Prints the path of the cached .deb on the last line.
#
# The package comes from the mirror that this machine's apt already uses,
# through a private apt configuration (own lists and cache under LAB_CACHE)
# with the suites that carry 7.3: trixie-backports, experimental and sid.
set -eu
# shellcheck source=scripts/lab/lib.sh
. "$(dirname "$0")/lib.sh"

PKG=linux-source-7.3
PIN_VERSION=7.3.4-1~bpo13+1
PIN_SHA256=703e369ddd4cce971452f5a593ee55df3a5c10c83caf0fa0df039633ed181ee3
BASE_VERSION=${BASE_VERSION:-}
SUITES="trixie-backports experimental sid"

step "fetch: Debian $PKG ${BASE_VERSION:-$PIN_VERSION}" >&2

apt_dir="$LAB_CACHE/apt"
deb_dir="$LAB_CACHE/debs"
mkdir -p "$apt_dir/etc/sources.list.d" "$apt_dir/etc/preferences.d" \
	"$apt_dir/lists/partial" "$apt_dir/archives/partial" "$deb_dir"

cached_deb() {
	# Debian encodes ':' in file names; versions here have none.
	printf '%s/%s_%s_all.deb' "$deb_dir" "$PKG" "$1"
}

check_sha() {
	local deb="$1" want="$2" got
	got=$(sha256sum "$deb" | cut -d' ' -f1)
	[ "$got" = "$want" ] || die "sha256 mismatch for $deb: got $got, want $want" \
		"remove the file and run again; if it persists the archive changed"
}

want=${BASE_VERSION:-$PIN_VERSION}
deb=$(cached_deb "$want")
if [ -f "$deb" ]; then
	[ "$want" = "$PIN_VERSION" ] && check_sha "$deb" "$PIN_SHA256"
	log "cached: $deb" >&2
	printf '%s\n' "$deb"
	exit 0
fi

# The mirror URI that the machine's own apt configuration already uses.
# shellcheck disable=SC2016 # $(REPO_URI) is apt's format, not the shell's
mirror=$(apt-get indextargets --format '$(REPO_URI)' 2>/dev/null |
	grep -v -e security -e '^$' | sort -u | head -n1)
[ -n "$mirror" ] || mirror=$(grep -h -o -E '^(URIs:|deb) +[^ ]+' /etc/apt/sources.list.d/*.sources \
	/etc/apt/sources.list 2>/dev/null | grep -v security | awk '{print $2}' | head -n1)
[ -n "$mirror" ] || die "no Debian mirror configured in apt" "configure one in /etc/apt/sources.list.d/"
mirror=${mirror%/}
[ "${mirror##*/}" = debian ] || warn "mirror $mirror does not look like a Debian archive root"

keyring=/usr/share/keyrings/debian-archive-keyring.gpg
cat >"$apt_dir/etc/sources.list.d/lab.sources" <<SRC
Types: deb
URIs: $mirror
Suites: $SUITES
Components: main
Signed-By: $keyring
SRC

APT_OPTS="-o Dir::Etc=$apt_dir/etc -o Dir::Etc::sourcelist=/dev/null
-o Dir::Etc::sourceparts=$apt_dir/etc/sources.list.d -o Dir::State=$apt_dir
-o Dir::State::Lists=$apt_dir/lists -o Dir::Cache=$apt_dir
-o Dir::State::status=/var/lib/dpkg/status -o APT::Sandbox::User=root
-o Debug::NoLocking=1"

log "updating private package lists ($SUITES)" >&2
# shellcheck disable=SC2086 # APT_OPTS is a list of options
apt-get $APT_OPTS -qq update >&2 || die "apt-get update of $SUITES failed" "check the network to the Debian mirror ($mirror)"

# shellcheck disable=SC2086
versions=$(apt-cache $APT_OPTS madison "$PKG" 2>/dev/null | awk -F' *[|] *' '{print $2}' | sort -V -r -u)
if ! printf '%s\n' "$versions" | grep -qxF "$want"; then
	if [ -n "$BASE_VERSION" ]; then
		die "$PKG version $BASE_VERSION is not in $SUITES (have: $(printf "%s" "$versions" | tr "\n" " "))" \
			"unset BASE_VERSION to use the pinned $PIN_VERSION or pick one listed"
	fi
	fallback=$(printf '%s\n' "$versions" | grep -E '^7\.3\.[0-9]' | head -n1)
	[ -n "$fallback" ] || die "neither $PIN_VERSION nor any 7.3.x of $PKG is in $SUITES" \
		"use your own tree: make run KDIR=/path/to/linux"
	warn "pinned $PKG $PIN_VERSION is gone from the archive; falling back to $fallback (sha256 not pinned)"
	want=$fallback
	deb=$(cached_deb "$want")
fi

log "downloading $PKG=$want (about 170 MB)" >&2
tmp=$(mktemp -d "$deb_dir/.dl.XXXXXX")
# shellcheck disable=SC2086
(cd "$tmp" && apt-get $APT_OPTS -qq download "$PKG=$want" >&2) ||
	{ rm -rf "$tmp"; die "download of $PKG=$want failed" "check the network to $mirror"; }
got=$(ls "$tmp"/*.deb)
if [ "$want" = "$PIN_VERSION" ]; then
	check_sha "$got" "$PIN_SHA256"
else
	log "sha256 $(sha256sum "$got" | cut -d' ' -f1)" >&2
fi
mv "$got" "$deb"
rm -rf "$tmp"
log "fetched: $deb" >&2
printf '%s\n' "$deb"
