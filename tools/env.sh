# SPDX-License-Identifier: GPL-2.0
#
# Sourced by every rig script: where the caches live and how the kernel is
# built. Kernel builds use Debian's rustc-web (it has the std source the kernel
# needs) and LLVM 19, never rustup's toolchain, whatever PATH says.

CACHE_DIR=${CACHE_DIR:-$HOME/.cache/iommufd-rs}
REPO=${REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BINDGEN_VERSION=0.72.1
BINDGEN="$CACHE_DIR/bindgen-$BINDGEN_VERSION/bin/bindgen"
BUSYBOX="$CACHE_DIR/busybox-arm64"
KSRC=$(cat "$CACHE_DIR/linux-src.version" 2>/dev/null || true)
CROSS_CC=aarch64-linux-gnu-gcc

kpath() {
	# PATH for kernel builds: LLVM 19 first, rustup's ~/.cargo/bin dropped.
	local p out=/usr/lib/llvm-19/bin
	local IFS=:
	for p in $PATH; do
		case "$p" in */.cargo/bin) continue ;; esac
		out="$out:$p"
	done
	echo "$out"
}

# The guest kernel's config: the rig's fragment and the tests' (kselftest
# style), merged onto allnoconfig by tools/kernel.sh. KFLAVOR=sanitize adds
# tools/guest/sanitize.config (KASAN, KFENCE, UBSAN, kmemleak); KFLAVOR=bench
# takes tools/guest/bench.config instead of the tests' (no debugging, for
# the benchmarks); each flavor
# has its own cached kernel, modules and initramfs, so switching flavors
# never rebuilds the other one or boots modules built for it.
KFLAVOR=${KFLAVOR:-default}
KCONFIG_FRAGMENTS=("$REPO/tools/guest/kernel.config" "$REPO/selftests/config")
case "$KFLAVOR" in
default) FLAVOR_SUFFIX= ;;
sanitize)
	FLAVOR_SUFFIX=-sanitize
	KCONFIG_FRAGMENTS+=("$REPO/tools/guest/sanitize.config")
	;;
bench)
	FLAVOR_SUFFIX=-bench
	KCONFIG_FRAGMENTS=("$REPO/tools/guest/kernel.config" "$REPO/tools/guest/bench.config")
	;;
*) echo "error: unknown KFLAVOR '$KFLAVOR' (default, sanitize, bench)" >&2; exit 1 ;;
esac
MODULE_DIR="$REPO/build/module$FLAVOR_SUFFIX"

# The cache key of a kernel build: source version, config fragments, toolchain
# and this rig's build script. Anything else changing cannot make a stale
# build look fresh.
kernel_key() {
	{
		basename "$KSRC"
		cat "${KCONFIG_FRAGMENTS[@]}" "$REPO/tools/kernel.sh"
		/usr/bin/rustc --version
		/usr/lib/llvm-19/bin/clang --version | head -1
		"$BINDGEN" --version
		$CROSS_CC --version | head -1
	} | sha256sum | cut -c1-16
}

KMAKE_ARGS=(ARCH=arm64 LLVM=1 RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
	BINDGEN="$BINDGEN" RUSTFMT=/usr/bin/rustfmt CLIPPY_DRIVER=/usr/bin/clippy-driver)

die() { echo "error: $*" >&2; exit 1; }
need_src() {
	[ -n "$KSRC" ] && [ -d "$KSRC" ] || die "no kernel source; run 'make deps'"
	[ -x "$BINDGEN" ] || die "no bindgen; run 'make deps'"
}

# The complete kernel build for the current key, or fail.
kbuild_dir() {
	local d="$CACHE_DIR/kbuild$FLAVOR_SUFFIX-$(kernel_key)"
	[ -f "$d/.complete" ] || die "kernel not built for this source/config/toolchain; run 'make kernel'"
	echo "$d"
}
GUEST_DIR=${GUEST_DIR:-$REPO/build/guest$FLAVOR_SUFFIX}
