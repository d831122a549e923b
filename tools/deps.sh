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
