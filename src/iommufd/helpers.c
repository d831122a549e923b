// SPDX-License-Identifier: GPL-2.0
/*
 * What Rust cannot call in Linux 7.3: static inlines and macros absent from
 * the generated bindings, and the module's fault points (fault.c), whose
 * should_fail() and struct fault_attr sit in a header bindgen does not see.
 * One small function each, for the abstractions in src/kernel_ext/, which
 * declare them by hand and give them safe signatures. Each says which
 * inline, macro or fault point it stands for.
 */
#include <linux/fault-inject.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/irq.h>
#include <linux/mm.h>
#include <linux/msi.h>
#include <linux/pci.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/shmem_fs.h>
#include <linux/uaccess.h>

#include "fault.h"
#include "helpers.h"

/**
 * iommufd_rs_current_user() - get_uid(current_user()): a macro and an inline
 *
 * Return: the current task's user, with a reference the caller drops with
 * free_uid().
 */
struct user_struct *iommufd_rs_current_user(void)
{
	return get_uid(current_user());
}

/**
 * iommufd_rs_rlimit() - rlimit(), an inline: the current task's soft limit
 * @limit: RLIMIT_*
 *
 * Return: the limit's current value.
 */
unsigned long iommufd_rs_rlimit(unsigned int limit)
{
	return rlimit(limit);
}

/**
 * iommufd_rs_charge_mm_locked_vm() - __account_locked_vm() under
 * mmap_write_lock(), an inline: charges @mm->locked_vm against the current
 * task's RLIMIT_MEMLOCK with no CAP_IPC_LOCK bypass, as upstream iommufd's
 * update_mm_locked_vm() does
 * @mm: the mm charged (the caller holds an mmgrab() on it)
 * @pages: pages to charge
 *
 * Return: 0, or -ENOMEM over the limit.
 */
int iommufd_rs_charge_mm_locked_vm(struct mm_struct *mm, unsigned long pages)
{
	int rc;

	mmap_write_lock(mm);
	rc = __account_locked_vm(mm, pages, true, current, false);
	mmap_write_unlock(mm);
	return rc;
}

/**
 * iommufd_rs_access_ok() - access_ok(), a macro: whether a user range lies
 * in the user part of the address space
 * @addr: first byte
 * @size: bytes
 *
 * Return: true if it does.
 */
bool iommufd_rs_access_ok(unsigned long addr, unsigned long size)
{
	return access_ok((const void __user *)addr, size);
}

/**
 * iommufd_rs_file_is_memfd() - shmem_file() or is_file_hugepages(), both
 * inlines: whether a file is what memfd_create() makes
 * @file: the file
 *
 * Return: true for a shmem or hugetlbfs file.
 */
bool iommufd_rs_file_is_memfd(struct file *file)
{
	return shmem_file(file) || is_file_hugepages(file);
}

/**
 * iommufd_rs_memfd_seals() - the seals of a memfd, read as mm/memfd.c's
 * memfd_get_seals() does (not exported; SHMEM_I() and HUGETLBFS_I() are
 * inlines)
 * @file: a shmem or hugetlbfs file
 *
 * Seals are only ever added, so a lockless read is at worst one seal
 * behind a concurrent F_ADD_SEALS.
 *
 * Return: its F_SEAL_* bits.
 */
unsigned int iommufd_rs_memfd_seals(struct file *file)
{
	if (shmem_file(file))
		return READ_ONCE(SHMEM_I(file_inode(file))->seals);
#ifdef CONFIG_HUGETLBFS
	if (is_file_hugepages(file))
		return READ_ONCE(HUGETLBFS_I(file_inode(file))->seals);
#endif
	return 0;
}

/**
 * iommufd_rs_file_writable() - whether a file is open for writing
 * (FMODE_WRITE, a constant bindgen cannot read: it is a __force cast)
 * @file: the file
 *
 * Return: true if it is.
 */
bool iommufd_rs_file_writable(struct file *file)
{
	return file->f_mode & FMODE_WRITE;
}

/**
 * iommufd_rs_file_size() - i_size_read(file_inode()), both inlines
 * @file: the file
 *
 * Return: the size of the file's inode in bytes.
 */
loff_t iommufd_rs_file_size(struct file *file)
{
	return i_size_read(file_inode(file));
}

/**
 * iommufd_rs_mapping_map_writable() - mapping_map_writable(), an inline:
 * count a writable shared mapping of a file, as mmap() does
 * @file: the file
 *
 * Return: 0, or -EPERM if the file is sealed against writes.
 */
int iommufd_rs_mapping_map_writable(struct file *file)
{
	return mapping_map_writable(file->f_mapping);
}

/**
 * iommufd_rs_mapping_unmap_writable() - mapping_unmap_writable(), an
 * inline: drop what iommufd_rs_mapping_map_writable() counted
 * @file: the file
 */
void iommufd_rs_mapping_unmap_writable(struct file *file)
{
	mapping_unmap_writable(file->f_mapping);
}

/**
 * iommufd_rs_page_to_phys() - page_to_phys(), a macro
 * @page: a page
 *
 * Return: its physical address.
 */
phys_addr_t iommufd_rs_page_to_phys(struct page *page)
{
	return page_to_phys(page);
}

/**
 * iommufd_rs_cond_resched() - cond_resched(), a macro, for the loops that
 * work on every area or run with a mutex held
 */
void iommufd_rs_cond_resched(void)
{
	cond_resched();
}

/**
 * iommufd_rs_clear_user() - clear_user(), which is inline on arm64
 * @to: user address
 * @n: bytes to zero
 *
 * Return: the number of bytes that could not be zeroed (0 on success).
 */
unsigned long iommufd_rs_clear_user(void __user *to, unsigned long n)
{
	return clear_user(to, n);
}

/**
 * iommufd_rs_should_fail_map() - whether the fail_map fault point fires
 * for an iommu_map() of @npages pages (should_fail() and the attribute
 * are not in the bindings)
 * @npages: the size, in pages, should_fail() filters on
 */
bool iommufd_rs_should_fail_map(u64 npages)
{
	return should_fail(&iommufd_rs_fail_map, npages);
}

/**
 * iommufd_rs_should_fail_unmap() - whether the fail_unmap fault point
 * fires for an iommu_unmap() of @npages pages (see above)
 * @npages: the size, in pages
 */
bool iommufd_rs_should_fail_unmap(u64 npages)
{
	return should_fail(&iommufd_rs_fail_unmap, npages);
}

/**
 * iommufd_rs_should_fail_msi() - whether the fail_msi fault point fires
 * for an allocation of @nvec MSI vectors (see above)
 * @nvec: the number of vectors
 */
bool iommufd_rs_should_fail_msi(u64 nvec)
{
	return should_fail(&iommufd_rs_fail_msi, nvec);
}

/**
 * iommufd_rs_log_unmap_short() - log a domain that unmapped less than asked,
 * ratelimited (pr_err_ratelimited() is a macro with a ratelimit state per
 * call site, which the kernel crate has no counterpart for)
 * @unmapped: bytes the driver unmapped
 * @size: bytes asked
 * @iova: the first IOVA
 */
void iommufd_rs_log_unmap_short(size_t unmapped, u64 size, u64 iova)
{
	pr_err_ratelimited("iommufd_rs: IOMMU domain unmapped %zu of %llu bytes at IOVA %#llx; their pages stay pinned\n",
			   unmapped, size, iova);
}

/**
 * iommufd_rs_pci_upstream_bridge() - pci_upstream_bridge(), a static inline
 * @pdev: the function
 *
 * Return: the bridge above @pdev (of its physical function), or NULL on a
 * root bus.
 */
struct pci_dev *iommufd_rs_pci_upstream_bridge(struct pci_dev *pdev)
{
	return pci_upstream_bridge(pdev);
}

/**
 * iommufd_rs_msi_address() - the doorbell address of an MSI interrupt's
 * composed message (irq_get_msi_desc() is a static inline)
 * @irq: the Linux interrupt number of an allocated vector
 * @addr: the address on success
 *
 * Return: 0, or -EINVAL if @irq has no MSI descriptor.
 */
int iommufd_rs_msi_address(unsigned int irq, u64 *addr)
{
	struct msi_desc *desc = irq_get_msi_desc(irq);

	if (!desc)
		return -EINVAL;
	*addr = (u64)desc->msg.address_hi << 32 | desc->msg.address_lo;
	return 0;
}

/**
 * iommufd_rs_vma_mmio() - make a VMA one of device memory whose pages its
 * fault handler inserts (vm_flags_set() is a static inline,
 * pgprot_noncached() a macro)
 * @vma: the VMA being set up by an mmap handler
 *
 * VM_PFNMAP and VM_IO (no struct page behind, never looked at), no
 * expanding by mremap(), not in core dumps; uncached device memory.
 */
void iommufd_rs_vma_mmio(struct vm_area_struct *vma)
{
	vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
}
