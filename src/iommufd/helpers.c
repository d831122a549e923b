// SPDX-License-Identifier: GPL-2.0
/*
 * What Rust cannot call in Linux 7.3: static inlines and macros absent from
 * the generated bindings, one small function each, for the abstractions in
 * src/kernel_ext/ (and src/ucmd.rs, src/domain.rs), which declare them by
 * hand. Each says which inline or macro it stands for.
 */
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/shmem_fs.h>
#include <linux/uaccess.h>

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
