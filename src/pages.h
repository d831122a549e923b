/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pinned, accounted user memory for IOAS areas (pages.c). Rust owns each
 * struct iommufd_rs_pages through an opaque pointer (src/pages.rs) and
 * releases it exactly once.
 */
#ifndef IOMMUFD_RS_PAGES_H
#define IOMMUFD_RS_PAGES_H

#include <linux/types.h>

struct iommufd_rs_pages;

/* Where pinned pages are charged (upstream's enum iopt_pages_account). */
enum iommufd_rs_account {
	IOMMUFD_RS_ACCOUNT_USER = 0,	/* user->locked_vm, RLIMIT_MEMLOCK */
	IOMMUFD_RS_ACCOUNT_MM = 1,	/* mm->locked_vm, RLIMIT_MEMLOCK */
};

int iommufd_rs_pages_pin_user(unsigned long uaddr, unsigned long length,
			      bool writable, int account,
			      struct iommufd_rs_pages **out);
int iommufd_rs_pages_pin_memfd(int fd, u64 start, u64 length, bool writable,
			       int account, struct iommufd_rs_pages **out);
void iommufd_rs_pages_release(struct iommufd_rs_pages *p);
unsigned long iommufd_rs_pages_npages(const struct iommufd_rs_pages *p);
unsigned long iommufd_rs_pages_offset(const struct iommufd_rs_pages *p);
bool iommufd_rs_pages_writable(const struct iommufd_rs_pages *p);
bool iommufd_rs_capable_sys_resource(void);

#endif
