/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User memory behind IOAS areas (pages.c): checked and charged when it is
 * mapped, pinned while a domain needs it. Rust holds each struct
 * iommufd_rs_pages inside its own reference-counted object (src/pages.rs),
 * counts the domains' need for the pins, and tears it down exactly once.
 */
#ifndef IOMMUFD_RS_PAGES_H
#define IOMMUFD_RS_PAGES_H

#include <linux/types.h>

struct page;
struct file;
struct user_struct;
struct mm_struct;

/**
 * struct iommufd_rs_run - pinned pages that are contiguous in memory
 * @page: the first page; the run's pages are @page, @page + 1, ... and
 *        their physical addresses are contiguous too
 * @idx: index of @page among the pages of the mapping
 *
 * A run ends where the next one starts: iommufd_rs_pages.runs ends with a
 * sentinel whose @idx is the mapping's page count. Every page of a run holds
 * exactly one pin, so any part of a run unpins with
 * unpin_user_page_range_dirty_lock().
 */
struct iommufd_rs_run {
	struct page *page;
	unsigned long idx;
};

/**
 * struct iommufd_rs_pages - the memory of one MAP or MAP_FILE
 * @uaddr: page-aligned user address of the first page (MAP)
 * @file: the memfd, reference held (MAP_FILE), or NULL
 * @fstart: page-aligned file offset of the first page (MAP_FILE)
 * @flast: file offset of the last byte (MAP_FILE)
 * @npages: number of pages the mapping spans
 * @offset: byte offset of the mapping's start within its first page
 * @writable: pinned for device writes (FOLL_WRITE, or a writable file)
 * @charged: pages charged to @user or @mm's locked_vm (0 with CAP_IPC_LOCK)
 * @account: enum iommufd_rs_account of the charge
 * @user: the user charged in IOMMUFD_RS_ACCOUNT_USER mode (reference held)
 * @mm: the mm the pages are pinned from and whose pinned_vm (and locked_vm
 *      in MM mode) counts them (mmgrab reference held)
 * @runs: while pinned, @nruns runs and the sentinel; NULL while not pinned
 * @nruns: number of runs, the sentinel not counted
 */
struct iommufd_rs_pages {
	unsigned long uaddr;
	struct file *file;
	u64 fstart;
	u64 flast;
	unsigned long npages;
	unsigned long offset;
	bool writable;
	unsigned long charged;
	int account;
	struct user_struct *user;
	struct mm_struct *mm;
	struct iommufd_rs_run *runs;
	unsigned long nruns;
};

/*
 * Rust keeps a struct iommufd_rs_pages inside its own object (src/pages.rs
 * mirrors this as RawPages), so a map makes one allocation, not two: this
 * many u64 words, which pages.c checks at build time and the init
 * functions at run time against the size Rust passes.
 */
#define IOMMUFD_RS_PAGES_WORDS 14

/* Where pages are charged (upstream's enum iopt_pages_account). */
enum iommufd_rs_account {
	IOMMUFD_RS_ACCOUNT_USER = 0,	/* user->locked_vm, RLIMIT_MEMLOCK */
	IOMMUFD_RS_ACCOUNT_MM = 1,	/* mm->locked_vm, RLIMIT_MEMLOCK */
};

int iommufd_rs_pages_init_user(struct iommufd_rs_pages *p, size_t size,
			       unsigned long uaddr, unsigned long length,
			       bool writable, int account);
int iommufd_rs_pages_init_memfd(struct iommufd_rs_pages *p, size_t size, int fd,
				u64 start, u64 length, bool writable, int account);
int iommufd_rs_pages_pin(struct iommufd_rs_pages *p);
void iommufd_rs_pages_unpin(struct iommufd_rs_pages *p);
void iommufd_rs_pages_destroy(struct iommufd_rs_pages *p);
int iommufd_rs_pages_run(const struct iommufd_rs_pages *p, u64 idx, u64 *offset,
			 u64 *phys, u64 *end);
bool iommufd_rs_pages_writable(const struct iommufd_rs_pages *p);
bool iommufd_rs_capable_sys_resource(void);
unsigned long iommufd_rs_clear_user(void __user *to, unsigned long n);

#endif
