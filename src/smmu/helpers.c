// SPDX-License-Identifier: GPL-2.0
/*
 * What smmu_rs keeps in C, each for a reason the comment above it gives:
 * a module parameter the Rust module! macro cannot declare, and kernel
 * services that are static inlines or macros absent from the Rust
 * bindings. Called from Rust only (hw.rs, provider.rs).
 */
#include <linux/device.h>
#include <linux/dma-map-ops.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>

bool smmu_rs_assume_canwbs(void);
u64 smmu_rs_table_alloc(void **va);
void smmu_rs_table_free(u64 pa);
void smmu_rs_log_event(struct device *dev, u32 id, const char *name, u32 sid, u64 addr,
		       u64 ipa, bool read, bool stage2, const u64 *raw);
void smmu_rs_log(struct device *dev, const char *msg, u64 a, u64 b);
void smmu_rs_log_refusal(struct device *dev, const char *what, const char *why);
void smmu_rs_cond_resched(void);
bool smmu_rs_dev_is_dma_coherent(struct device *dev);

/*
 * Without S2FWB, a guest's stage-1 attributes can make a nested device's
 * accesses non-cacheable, and nobody does cache maintenance for it: the
 * device could read stale host data. Like upstream, nesting is refused
 * unless the platform is known to be fully coherent; upstream learns that
 * from the IORT CANWBS flag, which QEMU does not set. The administrator
 * asserts it here (QEMU TCG is coherent); setting it taints the kernel.
 * C because module_param_unsafe() (taint on set) has no Rust module!
 * equivalent in Linux 7.3.
 */
static bool assume_canwbs;
module_param_unsafe(assume_canwbs, bool, 0444);
MODULE_PARM_DESC(assume_canwbs,
		 "Assert that every device behind the SMMUs is fully coherent and ignores stage-1 memory attributes (as IORT CANWBS does), so that vIOMMUs may be made without S2FWB (unsafe: taints the kernel)");

/**
 * smmu_rs_assume_canwbs() - the assume_canwbs parameter
 *
 * Return: whether the administrator asserted full coherency.
 */
bool smmu_rs_assume_canwbs(void)
{
	return assume_canwbs;
}

/**
 * smmu_rs_table_alloc() - a zeroed page-table page
 * @va: its kernel (linear map) address, where Rust reads and writes its
 *      descriptors
 *
 * C because page_address() and page_to_phys() are macros or static
 * inlines absent from the bindings.
 *
 * The SMMU is cache coherent (probe refuses others), so a plain store is
 * observed by its walker once a later writel() to the command queue's PROD
 * register (which orders prior stores) is seen. Charged to the caller's
 * memory cgroup: the pages back user-created domains.
 *
 * Return: the page's physical address, what descriptors hold; 0 when out of
 * memory.
 */
u64 smmu_rs_table_alloc(void **va)
{
	struct page *page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);

	if (!page)
		return 0;
	*va = page_address(page);
	return page_to_phys(page);
}

/**
 * smmu_rs_table_free() - free a page from smmu_rs_table_alloc()
 * @pa: its physical address
 *
 * C because phys_to_page() is a macro.
 */
void smmu_rs_table_free(u64 pa)
{
	__free_page(phys_to_page(pa));
}

/**
 * smmu_rs_log_event() - log one event-queue record, rate-limited
 * @dev: the SMMU's device
 * @id: the event number
 * @name: its name
 * @sid: the stream that caused it
 * @addr: the transaction's input address
 * @ipa: its IPA, for stage-2 faults
 * @read: a read (else a write)
 * @stage2: a stage-2 fault
 * @raw: the record's four words
 *
 * The record is decoded in Rust (spec/event.rs); this only prints it. C
 * because dev_err_ratelimited() is a macro (one ratelimit state per call
 * site) that the kernel crate does not offer.
 */
void smmu_rs_log_event(struct device *dev, u32 id, const char *name, u32 sid, u64 addr,
		       u64 ipa, bool read, bool stage2, const u64 *raw)
{
	dev_err_ratelimited(dev,
			    "event 0x%02x %s: sid 0x%x iova 0x%llx ipa 0x%llx%s%s (raw %016llx %016llx %016llx %016llx)\n",
			    id, name, sid, addr, ipa, read ? " read" : " write", stage2 ? " s2" : "",
			    raw[0], raw[1], raw[2], raw[3]);
}

/**
 * smmu_rs_log() - log a hardware error with two values, rate-limited
 * @dev: the SMMU's device
 * @msg: what happened
 * @a: a value
 * @b: another
 *
 * C for the reason smmu_rs_log_event() is.
 */
void smmu_rs_log(struct device *dev, const char *msg, u64 a, u64 b)
{
	dev_err_ratelimited(dev, "%s (0x%llx, 0x%llx)\n", msg, a, b);
}

/**
 * smmu_rs_log_refusal() - log why a user's request was refused,
 * rate-limited, at info level (the user's error, not the hardware's)
 * @dev: the SMMU's device
 * @what: what was refused
 * @why: why
 *
 * C for the reason smmu_rs_log_event() is.
 */
void smmu_rs_log_refusal(struct device *dev, const char *what, const char *why)
{
	dev_info_ratelimited(dev, "%s %s\n", what, why);
}

/**
 * smmu_rs_cond_resched() - let the scheduler run something else if it
 * should
 *
 * Called from the event thread or the poll work: process context. C
 * because cond_resched() is a macro the kernel crate does not offer.
 */
void smmu_rs_cond_resched(void)
{
	cond_resched();
}

/**
 * smmu_rs_dev_is_dma_coherent() - whether a device's DMA is cache coherent
 * @dev: the SMMU's device, probing
 *
 * C because dev_is_dma_coherent() is a static inline.
 *
 * Return: dev_is_dma_coherent(@dev).
 */
bool smmu_rs_dev_is_dma_coherent(struct device *dev)
{
	return dev_is_dma_coherent(dev);
}
