# SPDX-License-Identifier: GPL-2.0
#
# iommufd-rs: the two commands a newcomer runs are `make run` and `make check`.
# Everything else is a step they depend on; see README.md.

REPO := $(CURDIR)
TOOLS := $(REPO)/tools
SHELL := /bin/bash

.PHONY: all deps kernel module fmt fmt-check host-test bench bench-host profile fuzz guest run boot check check-deep clean help

all: module

help:
	@echo "make run        boot the rig and show the module answering (the main job)"
	@echo "make check      every test: host, fmt, clippy build, guest suites"
	@echo "make check-deep the long runs on a KASAN/KFENCE/UBSAN/kmemleak kernel: suites, fuzzer, stress"
	@echo "make deps       install packages, bindgen and the Linux source (idempotent)"
	@echo "make kernel     build or reuse the cached arm64 guest kernel"
	@echo "make module     build iommufd_rs.ko (CLIPPY=1, warnings are errors)"
	@echo "make guest      build the initramfs (module, selftests, tools)"
	@echo "make host-test  cargo tests of the IOAS core on the host"
	@echo "make bench      guest benchmarks on a kernel without debugging: iommufd-rs vs upstream iommufd; smmu_rs vs in-tree page table"
	@echo "make profile    where benchmark rows' guest instructions go, per function, both sides (PROFILE_ROWS=...)"
	@echo "make bench-host host benchmarks: allocator tree vs linear first-fit; map path, page table (criterion)"
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

# The benchmarks run on their own kernel flavor (tools/guest/bench.config).
bench:
	@KFLAVOR=bench $(MAKE) --no-print-directory guest
	@KFLAVOR=bench $(TOOLS)/run-bench.sh

profile:
	@KFLAVOR=bench $(MAKE) --no-print-directory guest
	@KFLAVOR=bench $(TOOLS)/profile.sh

bench-host:
	@cd tools/testing/iova_space && cargo bench --bench alloc --bench map_path
	@cd tools/testing/lpae && cargo bench --bench page_table

fuzz:
	@$(TOOLS)/fuzz.sh $(or $(FUZZ_SECONDS),60)

guest: module
	@$(TOOLS)/guest.sh

run: guest
	@$(TOOLS)/guest-vmm.sh
	@VERBOSE=1 $(TOOLS)/boot.sh demo && VERBOSE=1 $(TOOLS)/boot.sh demo-nested && \
		VERBOSE=1 GUEST_VMM=1 GUEST_APPEND=vmm=demo BOOT_TIMEOUT=900 $(TOOLS)/boot.sh vmm

boot: guest
	@VERBOSE=$${VERBOSE:-1} $(TOOLS)/boot.sh $(S)

check:
	@$(TOOLS)/check.sh

check-deep:
	@$(TOOLS)/check-deep.sh

clean:
	rm -rf build
