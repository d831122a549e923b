#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The C UAPI header against Linux 7.3's own <linux/iommufd.h> (as installed
# by the kernel build), compiled for arm64: every shared struct's size, field
# offsets and widths, enum values and ioctl numbers must be identical; the
# extension structs must match src/iommufd/uapi.rs field by field.
set -euo pipefail
. "$(dirname "$0")/env.sh"
KBUILD=$(kbuild_dir)
mkdir -p "$REPO/build"
gen="$REPO/build/uapi_layout_check.c"
python3 "$REPO/tools/uapi-layout-check.py" "$REPO/include/uapi/iommufd_rs.h" \
	"$KBUILD/usr/include/linux/iommufd.h" "$REPO/src/iommufd/uapi.rs" "$gen"
$CROSS_CC -fsyntax-only -Wall -Werror -isystem "$KBUILD/usr/include" \
	-I"$REPO/include/uapi" "$gen"
echo "[uapi] layout identical to Linux $(basename "$KSRC" | sed 's/linux-source-//') <linux/iommufd.h>"
