#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the arm64 guest kernel (Image + in-tree modules + UAPI headers) with
# Rust, from allnoconfig plus the config fragments (the rig's
# tools/guest/kernel.config and the tests' selftests/config). The build lives in
# $CACHE_DIR/kbuild-<key> (kbuild-sanitize-<key> for KFLAVOR=sanitize), where
# <key> hashes everything that shapes it, and is
# reused only when complete (the .complete stamp is written last).
# Prints the build directory on its last line.
set -euo pipefail
. "$(dirname "$0")/env.sh"
need_src
export PATH=$(kpath)

key=$(kernel_key)
KBUILD="$CACHE_DIR/kbuild$FLAVOR_SUFFIX-$key"
if [ -f "$KBUILD/.complete" ]; then
	echo "[kernel] cached build $KBUILD"
	echo "$KBUILD"
	exit 0
fi

echo "[kernel] source $(basename "$KSRC"), $KFLAVOR flavor, build dir $KBUILD"
rm -rf "$KBUILD"
mkdir -p "$KBUILD"
km() { make -C "$KSRC" O="$KBUILD" "${KMAKE_ARGS[@]}" "$@"; }

km rustavailable
km allnoconfig >/dev/null
"$KSRC/scripts/kconfig/merge_config.sh" -m -O "$KBUILD" "$KBUILD/.config" \
	"${KCONFIG_FRAGMENTS[@]}" >/dev/null
km olddefconfig >/dev/null

# merge_config only warns about options that did not stick; fail instead.
bad=0
while IFS= read -r line; do
	case "$line" in CONFIG_*=* | "# CONFIG_"*" is not set") ;; *) continue ;; esac
	if ! grep -qx "$line" "$KBUILD/.config"; then
		opt=$(grep -o 'CONFIG_[A-Za-z0-9_]*' <<<"$line" | head -1)
		echo "[kernel] option not set as requested: $line (got: $(grep -E "^$opt=|^# $opt is not set" "$KBUILD/.config" || echo 'absent'))" >&2
		bad=1
	fi
done < <(cat "${KCONFIG_FRAGMENTS[@]}")
[ $bad = 0 ] || die "config fragments did not apply"
echo "[kernel] $KFLAVOR flavor, config verified: $(cat "${KCONFIG_FRAGMENTS[@]}" | grep -E '^(# )?CONFIG_' | sort -u | wc -l) options"

start=$(date +%s)
km -j"$(nproc)" Image modules
km INSTALL_MOD_PATH="$KBUILD/modinst" INSTALL_MOD_STRIP=1 modules_install >/dev/null
km INSTALL_HDR_PATH="$KBUILD/usr" headers_install >/dev/null
echo "[kernel] built in $(( $(date +%s) - start )) s"
touch "$KBUILD/.complete"
# Drop this flavor's builds made with other keys: they can never be used
# again. The other flavor's build stays (kbuild-<key>, kbuild-sanitize-<key>).
for d in "$CACHE_DIR/kbuild$FLAVOR_SUFFIX"-*; do
	[ "$d" = "$KBUILD" ] && continue
	if [ -z "$FLAVOR_SUFFIX" ]; then
		[[ $(basename "$d") =~ ^kbuild-[0-9a-f]{16}$ ]] || continue
	fi
	rm -rf "$d"
done
echo "$KBUILD"
