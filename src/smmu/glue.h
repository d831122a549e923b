/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C side of smmu_rs's platform driver: what Rust calls (MMIO, the
 * device) and what it implements (the smmu_rs_rs_* functions,
 * called by the platform driver and debugfs in glue.c).
 */
#ifndef SMMU_RS_GLUE_H
#define SMMU_RS_GLUE_H

#include <linux/iommu.h>
#include <linux/types.h>

/**
 * struct smmu_rs_hw - one SMMU instance, as the IOMMU core sees it
 * @iommu: registered with the IOMMU core
 * @dev: the platform device
 * @base: the 128 KiB register space (pages 0 and 1)
 * @rust: the driver state (struct Smmu in Rust), from smmu_rs_rs_init(); it
 *        owns this structure and frees it (smmu_rs_hw_put()) when it goes
 * @evtq_irq: wired event-queue interrupt, or 0 (then the queue is polled)
 * @gerr_irq: wired global-error interrupt, or 0
 * @poll: polls the event queue and GERROR when an interrupt is missing
 * @registered: iommu_device_register() succeeded
 */
struct smmu_rs_hw {
	struct iommu_device iommu;
	struct device *dev;
	void __iomem *base;
	void *rust;
	int evtq_irq;
	int gerr_irq;
	struct delayed_work poll;
	bool registered;
};

#define SMMU_RS_REG_SIZE 0x20000

/* For Rust (ffi.rs, provider.rs), in glue.c. */
struct iommu_device *smmu_rs_hw_iommu(struct smmu_rs_hw *hw);

/* Implemented in Rust (smmu/exports.rs). */
void *smmu_rs_rs_init(struct smmu_rs_hw *hw, int *err);
void smmu_rs_rs_fini(void *smmu);
void smmu_rs_rs_service_events(void *smmu);
void smmu_rs_rs_service_gerror(void *smmu);

/* Called from Rust. */
int smmu_rs_glue_register(const struct iommu_ops *ops);
void smmu_rs_glue_unregister(void);
void __iomem *smmu_rs_hw_regs(struct smmu_rs_hw *hw);
struct device *smmu_rs_hw_dev(struct smmu_rs_hw *hw);
void smmu_rs_hw_put(struct smmu_rs_hw *hw);

#endif
