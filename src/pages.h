/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pinned, accounted user memory for IOAS areas (pages.c). Rust owns each
 * struct iommufd_rs_pages through an opaque pointer (src/pages.rs) and
 * releases it exactly once.
 */
#ifndef IOMMUFD_RS_PAGES_H
#define IOMMUFD_RS_PAGES_H

#include <linux/types.h>

struct page;
struct folio;
struct user_struct;
struct mm_struct;

/**
 * struct iommufd_rs_pages - pinned memory backing one or more areas
 * @pages: every pinned page, in order
 * @npages: number of entries in @pages
 * @folios: for memfd maps, the pinned folios (unpinned with unpin_folios())
 * @nfolios: number of entries in @folios
 * @offset: byte offset of the mapping's start within @pages[0]
 * @writable: pinned for device writes (FOLL_WRITE, or a writable file)
 * @charged: pages charged to @user or @mm's locked_vm (0 with CAP_IPC_LOCK)
 * @account: enum iommufd_rs_account of the charge
 * @user: the user charged in IOMMUFD_RS_ACCOUNT_USER mode (reference held)
 * @mm: the mm whose pinned_vm (and locked_vm in MM mode) counts the pages
 *      (mmgrab reference held)
 */
struct iommufd_rs_pages {
	struct page **pages;
	unsigned long npages;
	struct folio **folios;
	unsigned long nfolios;
	unsigned long offset;
	bool writable;
	unsigned long charged;
	int account;
	struct user_struct *user;
	struct mm_struct *mm;
};

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
bool iommufd_rs_pages_writable(const struct iommufd_rs_pages *p);
bool iommufd_rs_capable_sys_resource(void);

#endif
