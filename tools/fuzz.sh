#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# fuzz.sh [SECONDS]: run the IOAS core's cargo-fuzz target (libFuzzer, with
# sanitizer coverage) for SECONDS (default 60) and fail on any crash. The
# machine's Rust is stable; cargo-fuzz needs nightly flags, which
# RUSTC_BOOTSTRAP=1 allows. cargo-fuzz is installed from crates.io into the
# cache if missing.
set -euo pipefail
. "$(dirname "$0")/env.sh"
secs=${1:-60}
FUZZ_ROOT="$CACHE_DIR/cargo-fuzz"
if ! [ -x "$FUZZ_ROOT/bin/cargo-fuzz" ]; then
	cargo install --locked --root "$FUZZ_ROOT" cargo-fuzz
fi
export PATH="$FUZZ_ROOT/bin:$PATH" RUSTC_BOOTSTRAP=1
cd "$REPO/tools/testing/iova_space"
cargo fuzz run ops -- -max_total_time="$secs" -max_len=4096 2>&1 | tail -n 15
