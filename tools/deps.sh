#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything the rig needs on a Debian 12 (bookworm) machine, from
# Debian's archive and crates.io only, and fetch the Linux 7.3 source.
# Idempotent: a second run only checks and returns in seconds.
#
# Environment: CACHE_DIR (default ~/.cache/iommufd-rs) holds bindgen and the
# unpacked kernel source, outside the repository.
set -euo pipefail

CACHE_DIR=${CACHE_DIR:-$HOME/.cache/iommufd-rs}
KVER_WANT=${KVER_WANT:-7.3}
BINDGEN_VERSION=0.72.1
mkdir -p "$CACHE_DIR"

log() { printf '[deps] %s\n' "$*"; }
die() { echo "error: $*" >&2; exit 1; }
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

export DEBIAN_FRONTEND=noninteractive

# --- apt sources -----------------------------------------------------------
# bookworm-backports: QEMU >= 9.1. trixie-backports: linux-source-7.x, for
# `apt-get download` only (pinned so nothing installs from it by accident).
need_update=0
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	echo 'deb http://deb.debian.org/debian bookworm-backports main' |
		$SUDO tee /etc/apt/sources.list.d/iommufd-rs-bookworm-backports.list >/dev/null
	need_update=1
fi
if ! grep -rqs 'trixie-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	echo 'deb http://deb.debian.org/debian trixie-backports main' |
		$SUDO tee /etc/apt/sources.list.d/iommufd-rs-trixie-backports.list >/dev/null
	printf 'Package: *\nPin: release n=trixie-backports\nPin-Priority: 1\n' |
		$SUDO tee /etc/apt/preferences.d/iommufd-rs-trixie-backports >/dev/null
	need_update=1
fi
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	$SUDO dpkg --add-architecture arm64
	need_update=1
fi

PKGS=(
	rustc-web rust-web-src cargo-web rustfmt-web rust-web-clippy
	libstd-rust-web-dev:arm64
	clang-19 lld-19 llvm-19 libclang-19-dev
	flex bison bc cpio kmod rsync libelf-dev libssl-dev xz-utils
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross libcap-dev:arm64
	python3 g++
)
missing=()
for p in "${PKGS[@]}"; do
	dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
qemu_ok=0
if command -v qemu-system-aarch64 >/dev/null; then
	qv=$(qemu-system-aarch64 --version | sed -n 's/.*version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
	set -- $qv
	if [ "${1:-0}" -gt 9 ] || { [ "${1:-0}" -eq 9 ] && [ "${2:-0}" -ge 1 ]; }; then qemu_ok=1; fi
fi

if [ ${#missing[@]} -gt 0 ] || [ $qemu_ok = 0 ] || [ $need_update = 1 ]; then
	log "apt-get update"
	$SUDO apt-get update -qq
fi
if [ ${#missing[@]} -gt 0 ]; then
	log "installing: ${missing[*]}"
	$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [ $qemu_ok = 0 ]; then
	log "installing qemu-system-arm from bookworm-backports"
	$SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports \
		qemu-system-arm
fi

# --- bindgen ---------------------------------------------------------------
BINDGEN="$CACHE_DIR/bindgen-$BINDGEN_VERSION/bin/bindgen"
if ! [ -x "$BINDGEN" ]; then
	log "building bindgen-cli $BINDGEN_VERSION (about 2 minutes)"
	LIBCLANG_PATH=/usr/lib/llvm-19/lib /usr/bin/cargo install --locked \
		--root "$CACHE_DIR/bindgen-$BINDGEN_VERSION" bindgen-cli --version "$BINDGEN_VERSION"
fi

# --- busybox for the guest -------------------------------------------------
# Downloaded, not installed: installing busybox-static:arm64 would put an
# arm64 /bin/busybox on the host.
BUSYBOX="$CACHE_DIR/busybox-arm64"
if ! [ -x "$BUSYBOX" ]; then
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download -qq busybox-static:arm64 && dpkg -x busybox-static_*_arm64.deb x)
	cp "$tmp/x/bin/busybox" "$BUSYBOX"
	rm -rf "$tmp"
fi

# --- QEMU for the guest (opt-in: `deps.sh vmm`, GUEST_VMM=1) ----------------
# Debian's arm64 qemu-system-aarch64 of exactly the host's version, for the
# `vmm` scenario, which runs it inside the guest (L1) to boot a nested guest
# (L2). Its shared libraries are the closure of its ELF NEEDED entries, not
# the package's recursive Depends (150 packages through qemu-system-common):
# each soname is mapped to the Debian package that ships it through the
# host's amd64 copy of the same library (same package, same version,
# Multi-Arch: same), whose arm64 build is downloaded and searched for the
# soname's own NEEDED in turn. Cached in $CACHE_DIR/qemu-arm64-<version>/:
# bin/qemu-system-aarch64, lib/aarch64-linux-gnu/<soname> (dereferenced),
# lib/ld-linux-aarch64.so.1, and the list of packages used.
fetch_vmm_qemu() {
	local qver dest tmp soname pkg ver f round next pkgs done_pkgs=" " done_sonames=" "
	qver=$(dpkg-query -W -f='${Version}' qemu-system-arm)
	dest="$CACHE_DIR/qemu-arm64-$(echo "$qver" | tr ':~+' '___')"
	if [ -f "$dest/.complete" ]; then
		log "guest QEMU: $dest"
		return 0
	fi
	log "fetching arm64 qemu-system-arm $qver and its libraries for the guest"
	tmp=$(mktemp -d)
	rm -rf "$dest" && mkdir -p "$dest/bin" "$dest/lib/aarch64-linux-gnu"
	in_archive() { # package:arch version: downloadable from a configured suite
		apt-cache madison "$1" | awk -F'|' -v v="$2" '{ gsub(/ /, "", $2) } $2 == v { f = 1 } END { exit !f }'
	}
	fetch_pkgs() { # package:arm64=version... into $tmp/x
		(cd "$tmp" && apt-get download -qq "$@" 2>/dev/null) || die "apt-get download $* failed"
		for f in "$tmp"/*.deb; do dpkg -x "$f" "$tmp/x"; done
		printf '%s\n' "$@" >>"$dest/packages"
		rm -f "$tmp"/*.deb
	}
	needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
	find_lib() {
		find "$tmp/x" -name "$1" \( -type f -o -type l \) |
			grep -E '/(usr/)?lib/(aarch64-linux-gnu/)?[^/]+$' | head -1 || true
	}
	# The loader and libc come from libc6, which the host has (amd64).
	ver=$(dpkg-query -W -f='${Version}' libc6:amd64)
	in_archive libc6:arm64 "$ver" ||
		ver=$(apt-cache policy libc6:arm64 | sed -n 's/^  Candidate: //p')
	fetch_pkgs "qemu-system-arm:arm64=$qver" "libc6:arm64=$ver"
	done_pkgs=" libc6 "
	cp "$tmp/x/usr/bin/qemu-system-aarch64" "$dest/bin/"
	cp -L "$tmp/x/lib/ld-linux-aarch64.so.1" "$dest/lib/ld-linux-aarch64.so.1"
	done_sonames=" ld-linux-aarch64.so.1 "
	# Breadth first, one download per round: the sonames a round needs,
	# each mapped to its package through the host's amd64 copy (the
	# host's version, or the archive's when a point release replaced it),
	# then each library copied under its soname and its own NEEDED queued.
	round=$(needed "$dest/bin/qemu-system-aarch64")
	while [ -n "$round" ]; do
		pkgs=()
		for soname in $round; do
			case "$done_sonames" in *" $soname "*) continue ;; esac
			[ -n "$(find_lib "$soname")" ] && continue
			pkg=$(dpkg -S "/lib/x86_64-linux-gnu/$soname" "/usr/lib/x86_64-linux-gnu/$soname" 2>/dev/null |
				head -1 | cut -d: -f1 || true)
			[ -n "$pkg" ] || die "no host package ships $soname (amd64); cannot map it to an arm64 package"
			case "$done_pkgs" in *" $pkg "*) continue ;; esac
			done_pkgs="$done_pkgs$pkg "
			ver=$(dpkg-query -W -f='${Version}' "$pkg:amd64")
			if ! in_archive "$pkg:arm64" "$ver"; then
				log "$pkg: the host's $ver is gone from the archive, taking its candidate"
				ver=$(apt-cache policy "$pkg:arm64" | sed -n 's/^  Candidate: //p')
			fi
			pkgs+=("$pkg:arm64=$ver")
		done
		[ ${#pkgs[@]} = 0 ] || fetch_pkgs "${pkgs[@]}"
		next=
		for soname in $round; do
			case "$done_sonames" in *" $soname "*) continue ;; esac
			done_sonames="$done_sonames$soname "
			f=$(find_lib "$soname")
			[ -n "$f" ] || die "no arm64 package fetched has $soname"
			cp -L "$f" "$dest/lib/aarch64-linux-gnu/$soname"
			next="$next $(needed "$dest/lib/aarch64-linux-gnu/$soname")"
		done
		round=$next
	done
	echo "$qver" >"$dest/version"
	touch "$dest/.complete"
	rm -rf "$tmp"
	log "guest QEMU: $dest ($(du -sh "$dest" | cut -f1), $(wc -l <"$dest/packages") packages)"
}
if [ "${1:-}" = vmm ] || [ "${GUEST_VMM:-0}" = 1 ]; then
	fetch_vmm_qemu
fi

# --- Linux source ------------------------------------------------------------
# Newest linux-source-7.3 from trixie-backports; if 7.3 is gone, the newest 7.x.
if ! [ -f "$CACHE_DIR/linux-src.version" ] || ! [ -d "$(cat "$CACHE_DIR/linux-src.version" 2>/dev/null)" ]; then
	pkg=$(apt-cache pkgnames linux-source- | grep -E "^linux-source-$KVER_WANT\$" | head -1 || true)
	if [ -z "$pkg" ]; then
		pkg=$(apt-cache pkgnames linux-source-7. | grep -E '^linux-source-7\.[0-9]+$' | sort -V | tail -1 || true)
		[ -n "$pkg" ] || { echo "no linux-source-7.x in the archive" >&2; exit 1; }
		log "WARNING: linux-source-$KVER_WANT is gone from the archive; using $pkg"
	fi
	tmp=$(mktemp -d)
	log "downloading $pkg"
	(cd "$tmp" && apt-get download -qq -t trixie-backports "$pkg" 2>/dev/null || apt-get download -qq "$pkg")
	deb=$(ls "$tmp"/*.deb)
	ver=$(dpkg-deb -f "$deb" Version)
	dest="$CACHE_DIR/linux-source-$(echo "$ver" | tr "~+" "__")"
	log "unpacking $pkg $ver"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards './usr/src/linux-source-*.tar.xz'
	rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
	tar -xf "$tmp"/usr/src/linux-source-*.tar.xz -C "$dest.tmp" --strip-components=1
	rm -rf "$dest" && mv "$dest.tmp" "$dest"
	echo "$dest" >"$CACHE_DIR/linux-src.version"
	rm -rf "$tmp"
fi
log "kernel source: $(cat "$CACHE_DIR/linux-src.version")"
log "ok"
