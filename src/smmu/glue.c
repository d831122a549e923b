// SPDX-License-Identifier: GPL-2.0
/*
 * smmu_rs glue: the platform driver for "arm,smmu-v3" and the SMMU's
 * device state Rust reaches (MMIO, its device). struct iommu_ops is Rust's
 * (iommu.rs); what else smmu_rs keeps in C is in helpers.c.
 *
 * Everything that decides something (register programming, queues, STEs,
 * VMIDs, the page table) is in Rust; this file only converts between the
 * IOMMU core's objects and the Rust state they carry.
 */
#include <linux/delay.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/io-64-nonatomic-hi-lo.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/of.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/interrupt.h>
#include <linux/workqueue.h>
#include <uapi/linux/iommufd.h>

#include "glue.h"

#define SMMU_RS_POLL_MS 100

/* ---- services for Rust ---- */

/* The register mapping, for Rust's MMIO accessors (ffi.rs Regs). */
void __iomem *smmu_rs_hw_regs(struct smmu_rs_hw *hw)
{
	return hw->base;
}

/* The SMMU's device, for Rust's kernel::dma allocations (ffi.rs DmaBuffer). */
struct device *smmu_rs_hw_dev(struct smmu_rs_hw *hw)
{
	return hw->dev;
}

/**
 * smmu_rs_hw_put() - free an SMMU's C state
 * @hw: from probe; its registers are no longer accessed
 *
 * Called by the Rust state's last reference (or a failed probe), after
 * every DMA buffer allocated through @hw is freed.
 */
void smmu_rs_hw_put(struct smmu_rs_hw *hw)
{
	put_device(hw->dev);
	kfree(hw);
}

/* ---- interrupts ---- */

static irqreturn_t smmu_rs_evtq_thread(int irq, void *data)
{
	struct smmu_rs_hw *hw = data;

	smmu_rs_rs_service_events(hw->rust);
	return IRQ_HANDLED;
}

static irqreturn_t smmu_rs_gerror_thread(int irq, void *data)
{
	struct smmu_rs_hw *hw = data;

	smmu_rs_rs_service_gerror(hw->rust);
	return IRQ_HANDLED;
}

static void smmu_rs_poll_fn(struct work_struct *work)
{
	struct smmu_rs_hw *hw = container_of(to_delayed_work(work), struct smmu_rs_hw, poll);

	smmu_rs_rs_service_events(hw->rust);
	smmu_rs_rs_service_gerror(hw->rust);
	schedule_delayed_work(&hw->poll, msecs_to_jiffies(SMMU_RS_POLL_MS));
}

/* smmu_rs's iommu_ops (Rust, iommu.rs), from smmu_rs_glue_register(). */
static const struct iommu_ops *smmu_rs_ops;

/* Its struct iommu_device, for Rust's probe_device (ffi.rs instance_of). */
struct iommu_device *smmu_rs_hw_iommu(struct smmu_rs_hw *hw)
{
	return &hw->iommu;
}

/* ---- the platform driver ---- */

static int smmu_rs_request_irq(struct smmu_rs_hw *hw, struct platform_device *pdev,
			       const char *name, irq_handler_t fn)
{
	int irq = platform_get_irq_byname_optional(pdev, name);

	if (irq <= 0)
		return 0;
	if (request_threaded_irq(irq, NULL, fn, IRQF_ONESHOT, dev_name(hw->dev), hw)) {
		dev_warn(hw->dev, "cannot request the %s interrupt: polling\n", name);
		return 0;
	}
	return irq;
}

static void smmu_rs_free_irqs(struct smmu_rs_hw *hw)
{
	if (hw->evtq_irq)
		free_irq(hw->evtq_irq, hw);
	if (hw->gerr_irq)
		free_irq(hw->gerr_irq, hw);
}

static int smmu_rs_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct smmu_rs_hw *hw;
	struct resource *res;
	int ret;

	if (!dev_is_dma_coherent(dev)) {
		dev_err(dev, "not probing: smmu_rs needs a cache-coherent SMMU (dma-coherent)\n");
		return -ENODEV;
	}
	/*
	 * Not devm: the Rust state (and a paging domain a user still holds)
	 * may outlive the binding, and frees its DMA memory through @hw.
	 * smmu_rs_hw_put() ends it, from the Rust state's last reference.
	 */
	hw = kzalloc(sizeof(*hw), GFP_KERNEL);
	if (!hw)
		return -ENOMEM;
	hw->dev = get_device(dev);
	res = platform_get_resource(pdev, IORESOURCE_MEM, 0);
	if (!res || resource_size(res) < SMMU_RS_REG_SIZE) {
		dev_err(dev, "not probing: register space smaller than 128 KiB\n");
		ret = -EINVAL;
		goto err_hw;
	}
	hw->base = devm_ioremap_resource(dev, res);
	ret = PTR_ERR_OR_ZERO(hw->base);
	if (ret)
		goto err_hw;
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(44));
	if (ret)
		goto err_hw;
	INIT_DELAYED_WORK(&hw->poll, smmu_rs_poll_fn);

	/*
	 * Resets the SMMU with interrupts masked; enables them at the end.
	 * From here the Rust state owns @hw, and frees it on failure too.
	 */
	hw->rust = smmu_rs_rs_init(hw, &ret);
	if (!hw->rust)
		return ret;
	hw->evtq_irq = smmu_rs_request_irq(hw, pdev, "eventq", smmu_rs_evtq_thread);
	hw->gerr_irq = smmu_rs_request_irq(hw, pdev, "gerror", smmu_rs_gerror_thread);
	if (!hw->evtq_irq || !hw->gerr_irq)
		schedule_delayed_work(&hw->poll, msecs_to_jiffies(SMMU_RS_POLL_MS));
	/* Anything recorded before the handlers existed. */
	smmu_rs_rs_service_events(hw->rust);
	smmu_rs_rs_service_gerror(hw->rust);

	platform_set_drvdata(pdev, hw);
	ret = iommu_device_sysfs_add(&hw->iommu, dev, NULL, "smmu_rs.%pa", &res->start);
	if (ret)
		goto err_fini;
	ret = iommu_device_register(&hw->iommu, smmu_rs_ops, dev);
	if (ret)
		goto err_sysfs;
	hw->registered = true;
	dev_info(dev, "smmu_rs: registered (event queue %s)\n",
		 hw->evtq_irq ? "interrupt" : "polled");
	return 0;

err_sysfs:
	iommu_device_sysfs_remove(&hw->iommu);
err_fini:
	cancel_delayed_work_sync(&hw->poll);
	smmu_rs_free_irqs(hw);
	smmu_rs_rs_fini(hw->rust);
	return ret;

err_hw:
	smmu_rs_hw_put(hw);
	return ret;
}

static void smmu_rs_remove(struct platform_device *pdev)
{
	struct smmu_rs_hw *hw = platform_get_drvdata(pdev);

	/* Releases every device: each gets the blocked domain, then is gone. */
	iommu_device_unregister(&hw->iommu);
	iommu_device_sysfs_remove(&hw->iommu);
	cancel_delayed_work_sync(&hw->poll);
	smmu_rs_free_irqs(hw);
	/* May free @hw: the last use. */
	smmu_rs_rs_fini(hw->rust);
}

static const struct of_device_id smmu_rs_of_match[] = {
	{ .compatible = "arm,smmu-v3" },
	{},
};
MODULE_DEVICE_TABLE(of, smmu_rs_of_match);

static struct platform_driver smmu_rs_driver = {
	.driver = {
		.name = "smmu_rs",
		.of_match_table = smmu_rs_of_match,
	},
	.probe = smmu_rs_probe,
	.remove = smmu_rs_remove,
};

int smmu_rs_glue_register(const struct iommu_ops *ops)
{
	int ret;

	smmu_rs_ops = ops;
	ret = platform_driver_register(&smmu_rs_driver);

	if (ret)
		return ret;
	return 0;
}

void smmu_rs_glue_unregister(void)
{
	platform_driver_unregister(&smmu_rs_driver);
}
