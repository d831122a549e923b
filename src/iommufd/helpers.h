/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shims for static inlines and macros (helpers.c), called from Rust, which
 * declares them by hand: this header is for the C compiler only.
 */
#ifndef IOMMUFD_RS_HELPERS_H
#define IOMMUFD_RS_HELPERS_H

#include <linux/types.h>

struct file;
struct page;
struct user_struct;

struct user_struct *iommufd_rs_current_user(void);
unsigned long iommufd_rs_rlimit(unsigned int limit);
struct mm_struct;
int iommufd_rs_charge_mm_locked_vm(struct mm_struct *mm, unsigned long pages);
bool iommufd_rs_access_ok(unsigned long addr, unsigned long size);
bool iommufd_rs_file_is_memfd(struct file *file);
unsigned int iommufd_rs_memfd_seals(struct file *file);
bool iommufd_rs_file_writable(struct file *file);
loff_t iommufd_rs_file_size(struct file *file);
int iommufd_rs_mapping_map_writable(struct file *file);
void iommufd_rs_mapping_unmap_writable(struct file *file);
phys_addr_t iommufd_rs_page_to_phys(struct page *page);
void iommufd_rs_cond_resched(void);
unsigned long iommufd_rs_clear_user(void __user *to, unsigned long n);

struct pci_dev;

bool iommufd_rs_should_fail_map(u64 npages);
bool iommufd_rs_should_fail_unmap(u64 npages);
bool iommufd_rs_should_fail_msi(u64 nvec);
void iommufd_rs_log_unmap_short(size_t unmapped, u64 size, u64 iova);

struct pci_dev *iommufd_rs_pci_upstream_bridge(struct pci_dev *pdev);
int iommufd_rs_msi_address(unsigned int irq, u64 *addr);

struct vm_area_struct;
void iommufd_rs_vma_mmio(struct vm_area_struct *vma);

#endif
