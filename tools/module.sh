#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# module.sh            build iommufd_rs.ko and smmu_rs.ko against the cached kernel build,
#                      with clippy and every warning an error (C and Rust)
# module.sh fmt        reformat the Rust sources
# module.sh fmt-check  fail if any Rust source is not rustfmt-clean
#
# Objects go to build/module (build/module-sanitize for KFLAVOR=sanitize;
# kbuild's MO=), never into src/.
set -euo pipefail
. "$(dirname "$0")/env.sh"

rust_sources() {
	git -C "$REPO" ls-files -co --exclude-standard -- '*.rs' | sed "s|^|$REPO/|"
}

case "${1:-build}" in
fmt)
	rust_sources | xargs /usr/bin/rustfmt --config-path "$REPO/.rustfmt.toml"
	exit 0
	;;
fmt-check)
	rust_sources | xargs /usr/bin/rustfmt --config-path "$REPO/.rustfmt.toml" --check
	echo "[fmt] rustfmt clean"
	exit 0
	;;
build) ;;
*) die "unknown action $1" ;;
esac

KBUILD=$(kbuild_dir)
export PATH=$(kpath)
out="$MODULE_DIR"
mkdir -p "$out"
make -s -C "$KBUILD" M="$REPO" MO="$out" "${KMAKE_ARGS[@]}" \
	CLIPPY=1 KRUSTFLAGS=-Dwarnings KCFLAGS=-Werror -j"$(nproc)" modules
echo "[module] $out/iommufd_rs.ko $out/src/smmu/smmu_rs.ko"
