/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The GUP inner loops (gup.c), called from Rust (src/kernel_ext/gup.rs),
 * which declares them by hand: this header is for the C compiler only.
 */
#ifndef IOMMUFD_RS_GUP_H
#define IOMMUFD_RS_GUP_H

#include <linux/types.h>

struct file;
struct mm_struct;
struct page;

long iommufd_rs_gup_pin_user(struct mm_struct *mm, unsigned long addr, unsigned long left,
			     unsigned long max, bool writable, struct page **pages,
			     unsigned long *npages, bool *probe_next);
long iommufd_rs_gup_pin_memfd(struct file *file, loff_t start, loff_t last, unsigned long left,
			      unsigned long max, struct page **pages, unsigned long *npages);

#endif
