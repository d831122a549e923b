# SPDX-License-Identifier: GPL-2.0
#
# iommufd-rs: the two commands a newcomer runs are `make run` and `make check`.
# Everything else is a step they depend on; see README.md.

REPO := $(CURDIR)
TOOLS := $(REPO)/tools
SHELL := /bin/bash
# make bench: boot pairs (in-tree io-pgtable, smmu_rs) for the page-table
# comparison; TCG timings vary from boot to boot, so it takes the median.
BENCH_PAIRS ?= 5

.PHONY: all deps kernel module fmt fmt-check host-test bench bench-host fuzz guest run boot check clean help

all: module

help:
	@echo "make run        boot the rig and show the module answering (the main job)"
	@echo "make check      every test: host, fmt, clippy build, guest suites"
	@echo "make deps       install packages, bindgen and the Linux source (idempotent)"
	@echo "make kernel     build or reuse the cached arm64 guest kernel"
	@echo "make module     build iommufd_rs.ko (CLIPPY=1, warnings are errors)"
	@echo "make guest      build the initramfs (module, selftests, tools)"
	@echo "make host-test  cargo tests of the IOAS core on the host"
	@echo "make bench      guest benchmarks: iommufd-rs vs upstream iommufd; smmu_rs vs in-tree page table"
	@echo "make bench-host IOVA allocator benchmark: tree vs linear first-fit"
	@echo "make fuzz       fuzz the IOAS core against its model (FUZZ_SECONDS=60)"
	@echo "make boot S=x   boot one guest scenario (tools/guest/scenarios/x.sh)"

deps:
	@$(TOOLS)/deps.sh

kernel: deps
	@$(TOOLS)/kernel.sh

module: kernel
	@$(TOOLS)/module.sh

fmt:
	@$(TOOLS)/module.sh fmt

fmt-check: deps
	@$(TOOLS)/module.sh fmt-check

host-test:
	@$(TOOLS)/host-test.sh

bench: guest
	@GUEST_MEM=3G GUEST_HUGEPAGES=200 GUEST_APPEND="hugepagesz=1G hugepages=1" BOOT_TIMEOUT=900 $(TOOLS)/boot.sh bench
	@$(TOOLS)/bench.py build/logs/bench.out
	@echo
	@echo "iommufd-rs with a domain: in-tree arm_smmu_v3 io-pgtable vs smmu_rs's LPAE table" \
		"($(BENCH_PAIRS) alternating boot pairs)"
	@rm -rf build/logs/pgtable-*
	@for i in $$(seq $(BENCH_PAIRS)); do for p in intree rs; do \
		GUEST_MEM=3G GUEST_HUGEPAGES=200 GUEST_APPEND="smmu=$$p" BOOT_TIMEOUT=900 \
		$(TOOLS)/boot.sh bench-pgtable build/logs/pgtable-$$p-$$i >/dev/null || exit 1; done; done
	@$(TOOLS)/bench.py --labels intree rs build/logs/pgtable-*/bench-pgtable.out

bench-host:
	@cd tools/testing/iova_space && cargo bench --bench alloc

fuzz:
	@$(TOOLS)/fuzz.sh $(or $(FUZZ_SECONDS),60)

guest: module
	@$(TOOLS)/guest.sh

run: guest
	@VERBOSE=1 $(TOOLS)/boot.sh demo && VERBOSE=1 $(TOOLS)/boot.sh demo-nested

boot: guest
	@VERBOSE=$${VERBOSE:-1} $(TOOLS)/boot.sh $(S)

check:
	@$(TOOLS)/check.sh

clean:
	rm -rf build
