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
# The guest tests need the test-only command IOMMU_TEST_IOAS_CHECK (Kbuild):
# on for the default and sanitize kernels, off for bench (which measures
# the module as shipped). IOMMUFD_RS_TEST=n builds the shipped module anywhere.
if [ -z "${IOMMUFD_RS_TEST:-}" ]; then
	IOMMUFD_RS_TEST=y
	[ "$KFLAVOR" = bench ] && IOMMUFD_RS_TEST=n
fi
make -s -C "$KBUILD" M="$REPO" MO="$out" "${KMAKE_ARGS[@]}" \
	IOMMUFD_RS_TEST="$IOMMUFD_RS_TEST" \
	CLIPPY=1 KRUSTFLAGS=-Dwarnings KCFLAGS=-Werror -j"$(nproc)" modules
echo "[module] $out/src/iommufd/iommufd_rs.ko $out/src/smmu/smmu_rs.ko $out/src/registry/iommufd_rs_driver.ko (test build: $IOMMUFD_RS_TEST)"
