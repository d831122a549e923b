// SPDX-License-Identifier: GPL-2.0
/*
 * smmu_rs glue: the platform driver for "arm,smmu-v3" and debugfs, and the
 * few kernel services Rust calls (MMIO, coherent DMA memory, table pages,
 * logs). struct iommu_ops is Rust's (iommu.rs).
 *
 * Everything that decides something (register programming, queues, STEs,
 * VMIDs, the page table) is in Rust; this file only converts between the
 * IOMMU core's objects and the Rust state they carry.
 */
#include <linux/debugfs.h>
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
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/interrupt.h>
#include <linux/workqueue.h>
#include <uapi/linux/iommufd.h>

#include "glue.h"

/* The layout Rust mirrors (exports.rs DomainStats), which asserts the same
 * offsets there. */
static_assert(sizeof(struct smmu_rs_domain_stats) == 24);
static_assert(offsetof(struct smmu_rs_domain_stats, vmid) == 0);
static_assert(offsetof(struct smmu_rs_domain_stats, ias) == 4);
static_assert(offsetof(struct smmu_rs_domain_stats, descriptors) == 8);
static_assert(offsetof(struct smmu_rs_domain_stats, minimum) == 16);
static_assert(sizeof(struct smmu_rs_command_counts) == 48);
static_assert(offsetof(struct smmu_rs_command_counts, cfgi) == 0);
static_assert(offsetof(struct smmu_rs_command_counts, tlbi_s2_ipa) == 8);
static_assert(offsetof(struct smmu_rs_command_counts, tlbi_s12_vmall) == 16);
static_assert(offsetof(struct smmu_rs_command_counts, tlbi_nh_all) == 24);
static_assert(offsetof(struct smmu_rs_command_counts, tlbi_nsnh_all) == 32);
static_assert(offsetof(struct smmu_rs_command_counts, sync) == 40);

#define SMMU_RS_POLL_MS 100

/*
 * Every bound instance, for probe_device() to find the SMMU of a device's
 * fwspec. Protected by smmu_rs_list_lock.
 */
static LIST_HEAD(smmu_rs_list);
static DEFINE_MUTEX(smmu_rs_list_lock);

struct smmu_rs_instance {
	struct list_head node;
	struct smmu_rs_hw *hw;
};

/**
 * struct smmu_rs_domain_entry - a stage-2 paging domain on the debugfs list
 * @hw: its SMMU
 * @rust: its S2Domain (Rust), alive while it is listed
 * @node: in smmu_rs_domains
 */
struct smmu_rs_domain_entry {
	struct smmu_rs_hw *hw;
	void *rust;
	struct list_head node;
};
/*
 * Every live stage-2 domain, for debugfs. Protected by
 * smmu_rs_domains_lock, which is taken before a domain's table lock (the
 * debugfs reader walks tables under it); the map and unmap paths never
 * take it.
 */
static LIST_HEAD(smmu_rs_domains);
static DEFINE_MUTEX(smmu_rs_domains_lock);
static struct dentry *smmu_rs_debugfs;

/*
 * What smmu_rs holds, in debugfs (table_pages, dma_bytes), so that tests can
 * show unload and domain teardown leave nothing behind.
 */
static atomic_t smmu_rs_table_pages = ATOMIC_INIT(0);
static atomic_t smmu_rs_dma_bytes = ATOMIC_INIT(0);
/*
 * Event records the host logged (every one not handed to a guest), and the
 * stage-2 faults among them, before rate limiting: a test can tell a fault
 * happened even when the log suppressed it.
 */
static atomic_t smmu_rs_host_events = ATOMIC_INIT(0);
static atomic_t smmu_rs_stage2_faults = ATOMIC_INIT(0);
/* Live vIOMMUs and nested domains, in debugfs for the same reason. */
static atomic_t smmu_rs_viommus = ATOMIC_INIT(0);
static atomic_t smmu_rs_nested_domains = ATOMIC_INIT(0);

/*
 * Without S2FWB, a guest's stage-1 attributes can make a nested device's
 * accesses non-cacheable, and nobody does cache maintenance for it: the
 * device could read stale host data. Like upstream, nesting is refused
 * unless the platform is known to be fully coherent; upstream learns that
 * from the IORT CANWBS flag, which QEMU does not set. The administrator
 * asserts it here (QEMU TCG is coherent); setting it taints the kernel.
 */
static bool assume_canwbs;
module_param_unsafe(assume_canwbs, bool, 0444);
MODULE_PARM_DESC(assume_canwbs,
		 "Assert that every device behind the SMMUs is fully coherent and ignores stage-1 memory attributes (as IORT CANWBS does), so that vIOMMUs may be made without S2FWB (unsafe: taints the kernel)");

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

/* Counts coherent DMA memory Rust allocated (@delta > 0) or freed, for debugfs. */
void smmu_rs_dma_accounted(long delta)
{
	atomic_add(delta, &smmu_rs_dma_bytes);
}

/**
 * smmu_rs_table_alloc() - a zeroed page-table page
 * @va: its kernel (linear map) address, where Rust reads and writes its
 *      descriptors
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
	atomic_inc(&smmu_rs_table_pages);
	*va = page_address(page);
	return page_to_phys(page);
}

void smmu_rs_table_free(u64 pa)
{
	__free_page(phys_to_page(pa));
	atomic_dec(&smmu_rs_table_pages);
}

/**
 * smmu_rs_log_event() - log one event-queue record, rate-limited
 * @hw: the SMMU
 * @id: the event number
 * @name: its name
 * @sid: the stream that caused it
 * @addr: the transaction's input address
 * @ipa: its IPA, for stage-2 faults
 * @read: a read (else a write)
 * @stage2: a stage-2 fault
 * @raw: the record's four words
 *
 * The record is decoded in Rust (spec/event.rs); this only prints it.
 */
void smmu_rs_log_event(struct smmu_rs_hw *hw, u32 id, const char *name, u32 sid, u64 addr,
		       u64 ipa, bool read, bool stage2, const u64 *raw)
{
	atomic_inc(&smmu_rs_host_events);
	if (stage2)
		atomic_inc(&smmu_rs_stage2_faults);
	dev_err_ratelimited(hw->dev,
			    "event 0x%02x %s: sid 0x%x iova 0x%llx ipa 0x%llx%s%s (raw %016llx %016llx %016llx %016llx)\n",
			    id, name, sid, addr, ipa, read ? " read" : " write", stage2 ? " s2" : "",
			    raw[0], raw[1], raw[2], raw[3]);
}

void smmu_rs_log(struct smmu_rs_hw *hw, const char *msg, u64 a, u64 b)
{
	dev_err_ratelimited(hw->dev, "%s (0x%llx, 0x%llx)\n", msg, a, b);
}

/* Called from the event thread or the poll work: process context. */
void smmu_rs_cond_resched(void)
{
	cond_resched();
}

void smmu_rs_log_refusal(struct smmu_rs_hw *hw, const char *what, const char *why)
{
	dev_info_ratelimited(hw->dev, "%s %s\n", what, why);
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

/* assume_canwbs, a module parameter Rust cannot declare (see above). */
bool smmu_rs_assume_canwbs(void)
{
	return assume_canwbs;
}

/* Counts vIOMMUs for debugfs. */
void smmu_rs_viommus_count(int delta)
{
	atomic_add(delta, &smmu_rs_viommus);
}

/* Counts nested domains for debugfs. */
void smmu_rs_nested_domains_count(int delta)
{
	atomic_add(delta, &smmu_rs_nested_domains);
}

/**
 * smmu_rs_domain_list() - list a new stage-2 domain in debugfs
 * @hw: its SMMU
 * @rust: its S2Domain, alive until smmu_rs_domain_unlist()
 *
 * Return: the entry, or NULL without memory.
 */
void *smmu_rs_domain_list(struct smmu_rs_hw *hw, void *rust)
{
	struct smmu_rs_domain_entry *e = kzalloc_obj(*e, GFP_KERNEL_ACCOUNT);

	if (!e)
		return NULL;
	e->hw = hw;
	e->rust = rust;
	mutex_lock(&smmu_rs_domains_lock);
	list_add_tail(&e->node, &smmu_rs_domains);
	mutex_unlock(&smmu_rs_domains_lock);
	return e;
}

/** smmu_rs_domain_unlist() - take a stage-2 domain off the debugfs list */
void smmu_rs_domain_unlist(void *entry)
{
	struct smmu_rs_domain_entry *e = entry;

	mutex_lock(&smmu_rs_domains_lock);
	list_del(&e->node);
	mutex_unlock(&smmu_rs_domains_lock);
	kfree(e);
}

/*
 * /sys/kernel/debug/smmu_rs/domains: one line per live stage-2 domain with
 * its table's valid descriptors and the fewest its translations need, so
 * that a benchmark can show the table uses every block it could.
 */
static int smmu_rs_domains_show(struct seq_file *m, void *unused)
{
	struct smmu_rs_domain_stats st;
	struct smmu_rs_domain_entry *d;

	mutex_lock(&smmu_rs_domains_lock);
	list_for_each_entry(d, &smmu_rs_domains, node) {
		smmu_rs_rs_domain_stats(d->rust, &st);
		seq_printf(m, "%s vmid %u ias %u descriptors %llu minimum %llu\n",
			   dev_name(d->hw->dev), st.vmid, st.ias, st.descriptors, st.minimum);
	}
	mutex_unlock(&smmu_rs_domains_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(smmu_rs_domains);

/*
 * /sys/kernel/debug/smmu_rs/commands: per SMMU, the commands it has
 * consumed by kind, so that a test can see a nest parent's stage-2 unmap
 * followed by TLBI_NH_ALL, and a benchmark what a map costs in commands.
 */
static int smmu_rs_commands_show(struct seq_file *m, void *unused)
{
	struct smmu_rs_command_counts c;
	struct smmu_rs_instance *inst;

	mutex_lock(&smmu_rs_list_lock);
	list_for_each_entry(inst, &smmu_rs_list, node) {
		smmu_rs_rs_command_counts(inst->hw->rust, &c);
		seq_printf(m, "%s cfgi %llu tlbi_s2_ipa %llu tlbi_s12_vmall %llu tlbi_nh_all %llu tlbi_nsnh_all %llu sync %llu\n",
			   dev_name(inst->hw->dev), c.cfgi, c.tlbi_s2_ipa, c.tlbi_s12_vmall,
			   c.tlbi_nh_all, c.tlbi_nsnh_all, c.sync);
	}
	mutex_unlock(&smmu_rs_list_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(smmu_rs_commands);

/* ---- devices ---- */

/* The bound SMMU of @fwnode, for Rust's probe_device (ffi.rs instance_of). */
struct smmu_rs_hw *smmu_rs_hw_by_fwnode(const struct fwnode_handle *fwnode)
{
	struct smmu_rs_instance *inst;
	struct smmu_rs_hw *hw = NULL;

	mutex_lock(&smmu_rs_list_lock);
	list_for_each_entry(inst, &smmu_rs_list, node) {
		if (dev_fwnode(inst->hw->dev) == fwnode) {
			hw = inst->hw;
			break;
		}
	}
	mutex_unlock(&smmu_rs_list_lock);
	return hw;
}

/* Its driver state (an Arc<Smmu>), for the same. */
void *smmu_rs_hw_smmu(struct smmu_rs_hw *hw)
{
	return hw->rust;
}

/* Its struct iommu_device, for the same. */
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
	struct smmu_rs_instance *inst;
	struct smmu_rs_hw *hw;
	struct resource *res;
	int ret;

	if (!dev_is_dma_coherent(dev)) {
		dev_err(dev, "not probing: smmu_rs needs a cache-coherent SMMU (dma-coherent)\n");
		return -ENODEV;
	}
	inst = devm_kzalloc(dev, sizeof(*inst), GFP_KERNEL);
	if (!inst)
		return -ENOMEM;
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
	inst->hw = hw;
	mutex_lock(&smmu_rs_list_lock);
	list_add_tail(&inst->node, &smmu_rs_list);
	mutex_unlock(&smmu_rs_list_lock);
	ret = iommu_device_register(&hw->iommu, smmu_rs_ops, dev);
	if (ret)
		goto err_list;
	hw->registered = true;
	dev_info(dev, "smmu_rs: registered (event queue %s)\n",
		 hw->evtq_irq ? "interrupt" : "polled");
	return 0;

err_list:
	mutex_lock(&smmu_rs_list_lock);
	list_del(&inst->node);
	mutex_unlock(&smmu_rs_list_lock);
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
	struct smmu_rs_instance *inst, *tmp;

	/* Releases every device: each gets the blocked domain, then is gone. */
	iommu_device_unregister(&hw->iommu);
	iommu_device_sysfs_remove(&hw->iommu);
	mutex_lock(&smmu_rs_list_lock);
	list_for_each_entry_safe(inst, tmp, &smmu_rs_list, node)
		if (inst->hw == hw)
			list_del(&inst->node);
	mutex_unlock(&smmu_rs_list_lock);
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
	/* Debugging aid only: no error if debugfs is absent. */
	smmu_rs_debugfs = debugfs_create_dir("smmu_rs", NULL);
	debugfs_create_file("domains", 0400, smmu_rs_debugfs, NULL, &smmu_rs_domains_fops);
	debugfs_create_file("commands", 0400, smmu_rs_debugfs, NULL, &smmu_rs_commands_fops);
	debugfs_create_atomic_t("table_pages", 0400, smmu_rs_debugfs, &smmu_rs_table_pages);
	debugfs_create_atomic_t("dma_bytes", 0400, smmu_rs_debugfs, &smmu_rs_dma_bytes);
	debugfs_create_atomic_t("viommus", 0400, smmu_rs_debugfs, &smmu_rs_viommus);
	debugfs_create_atomic_t("host_events", 0400, smmu_rs_debugfs, &smmu_rs_host_events);
	debugfs_create_atomic_t("stage2_faults", 0400, smmu_rs_debugfs, &smmu_rs_stage2_faults);
	debugfs_create_atomic_t("nested_domains", 0400, smmu_rs_debugfs,
				&smmu_rs_nested_domains);
	return 0;
}

void smmu_rs_glue_unregister(void)
{
	debugfs_remove_recursive(smmu_rs_debugfs);
	platform_driver_unregister(&smmu_rs_driver);
}
