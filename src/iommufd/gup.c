// SPDX-License-Identifier: GPL-2.0
/*
 * The GUP inner loops of pinning (src/kernel_ext/gup.rs drives them): one
 * call pins one batch of pages of a mapping and hands them back in a buffer
 * the caller owns, which then holds their pins. Everything around them, the
 * runs the pages are kept in, the accounting, the mm, user and file
 * references, is Rust (src/pages.rs, src/kernel_ext/).
 *
 * They stay C because Linux 7.3's Rust cannot express them:
 *  - pin_user_pages_remote() hands the mmap lock back through *locked
 *    (GUP may drop it), which the kernel crate's MmapReadGuard cannot
 *    model, and mmap_read_lock_killable() is an inline;
 *  - which pages stand for a whole hugetlb folio is read with inlines
 *    (page_folio(), folio_test_hugetlb(), folio_nr_pages(),
 *    folio_page_idx(), folio_page());
 *  - the fail_pin fault point is a C fault attribute (fault.c).
 * A batch is one call, 512 pages or 32 hugetlb folios: the per-page work
 * in Rust is the run builder's one compare per page, no call.
 */
#include <linux/hugetlb.h>
#include <linux/memfd.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>

#include "fault.h"
#include "gup.h"

/*
 * Pins up to @n pages from @addr of @mm into @pages, in the mm's own task
 * with pin_user_pages_fast(), else under its mmap lock.
 */
static long pin_pages(struct mm_struct *mm, unsigned long addr, unsigned long n,
		      unsigned int gup, struct page **pages)
{
	int locked = 1;
	long got;

	if (should_fail(&iommufd_rs_fail_pin, n))
		return -EFAULT;
	if (current->mm == mm)
		return pin_user_pages_fast(addr, n, gup, pages);
	if (mmap_read_lock_killable(mm))
		return -EINTR;
	got = pin_user_pages_remote(mm, addr, n, gup, pages, &locked);
	/* GUP may have dropped it; the mm may change between batches. */
	if (locked)
		mmap_read_unlock(mm);
	return got;
}

/**
 * iommufd_rs_gup_pin_user() - pin one batch of user memory
 * @mm: the mm to pin from; the caller holds a user reference (mmget)
 * @addr: page-aligned user address of the first page
 * @left: pages of the range from @addr (> 0)
 * @max: entries the call may write to @pages (and @npages) (> 0, at most
 *       @left)
 * @writable: pin for device writes (FOLL_WRITE)
 * @pages: receives the pinned pages, each entry holding one pin per page
 *         it stands for
 * @npages: NULL, or room for @max counts: then the call probes for hugetlb
 *          folios, and entry i stands for the @npages[i] pages from
 *          @pages[i] (see below)
 * @probe_next: set if the last page pinned is part of a hugetlb folio, so
 *              the next batch should probe
 *
 * Small pages and THP (which can be mapped in part) are pinned page by
 * page, @max at a time, when @npages is NULL: entry i is one page. With
 * @npages, the call pins one page at a time: a page of a hugetlb folio
 * stands for the following subpages of its folio within @left (a hugetlb
 * folio is always mapped whole and aligned, so the virtual pages after it
 * are those), which take their pins with one folio_add_pins(); so a 1 GiB
 * page costs one GUP call, and up to @max folios one call from Rust. The
 * first page that is not part of a hugetlb folio is the last entry (one
 * page). Pins with FOLL_LONGTERM with pin_user_pages_fast() from the mm's
 * own task, else with pin_user_pages_remote() under the mmap lock, dropped
 * before returning.
 *
 * C because pin_user_pages_remote() hands the mmap lock back through
 * *locked, which 7.3's MmapReadGuard cannot model, and the hugetlb probe
 * is made of folio inlines; the folio loop is here, not in Rust, so that
 * a hugetlb folio costs no call across the language boundary (measured:
 * 42 instructions a folio).
 *
 * Return: the number of entries written (> 0, at most @max); or -EFAULT
 * (or another GUP error) with nothing pinned. An error after the first
 * folio ends the batch early; the next call meets it again.
 */
long iommufd_rs_gup_pin_user(struct mm_struct *mm, unsigned long addr, unsigned long left,
			     unsigned long max, bool writable, struct page **pages,
			     unsigned long *npages, bool *probe_next)
{
	unsigned int gup = FOLL_LONGTERM | (writable ? FOLL_WRITE : 0);
	unsigned long i, rest;
	struct folio *f;
	long got;
	int rc;

	if (!npages) {
		got = pin_pages(mm, addr, max, gup, pages);
		if (got <= 0)
			return got ? got : -EFAULT;
		*probe_next = folio_test_hugetlb(page_folio(pages[got - 1]));
		cond_resched();
		return got;
	}
	*probe_next = true;
	for (i = 0; i < max && left; i++) {
		got = pin_pages(mm, addr, 1, gup, &pages[i]);
		if (got <= 0) {
			if (i)
				break;
			return got ? got : -EFAULT;
		}
		f = page_folio(pages[i]);
		if (!folio_test_hugetlb(f)) {
			npages[i++] = 1;
			*probe_next = false;
			break;
		}
		/*
		 * Bounded by the range: only @pages[i] is written, so a 1 GiB
		 * folio is one entry, not 512 batches of 512 pages.
		 */
		rest = min(folio_nr_pages(f) - folio_page_idx(f, pages[i]), left);
		rc = rest > 1 ? folio_add_pins(f, rest - 1) : 0;
		if (rc) {
			unpin_user_page(pages[i]);
			if (i)
				break;
			return rc;
		}
		npages[i] = rest;
		left -= rest;
		addr += rest << PAGE_SHIFT;
	}
	cond_resched();
	return i;
}

/**
 * iommufd_rs_gup_pin_memfd() - pin one batch of a memfd range
 * @file: a memfd (shmem or hugetlbfs)
 * @start: file offset of the first page to pin, page-aligned
 * @last: file offset of the range's last byte
 * @left: pages of the range from @start (> 0)
 * @max: at most this many folios (> 0): @pages and @npages have room for
 *       this many entries
 * @pages: receives, per folio pinned, the first page of it in the range
 * @npages: receives, per folio pinned, how many of its pages from that
 *          page the range holds; each of them holds one pin
 *
 * memfd_pin_folios() pins each folio once; the folio then takes one more
 * pin for each further page of it this returns, so that every page holds
 * one, as for user memory. @pages first receives the folios themselves
 * (an array of pointers either way) and each entry is then replaced by its
 * page.
 *
 * C because folio_nr_pages() and folio_page() are inlines, and the fail_pin
 * fault point a C fault attribute.
 *
 * Return: the number of entries (> 0), covering at most @left pages; or a
 * negative errno with nothing pinned.
 */
long iommufd_rs_gup_pin_memfd(struct file *file, loff_t start, loff_t last, unsigned long left,
			      unsigned long max, struct page **pages, unsigned long *npages)
{
	struct folio **folios = (struct folio **)pages;
	unsigned long i, k, first;
	pgoff_t foff;
	long got;
	int rc;

	got = should_fail(&iommufd_rs_fail_pin, max) ? -EFAULT :
	      memfd_pin_folios(file, start, last, folios, max, &foff);
	if (got <= 0)
		return got ? got : -EFAULT;
	for (i = 0; i < got; i++) {
		struct folio *folio = folios[i];

		first = i ? 0 : foff >> PAGE_SHIFT;
		if (!left) {
			/* More folios than the range: cannot happen. */
			unpin_folios(folios + i, got - i);
			break;
		}
		k = min(folio_nr_pages(folio) - first, left);
		rc = k > 1 ? folio_add_pins(folio, k - 1) : 0;
		if (rc) {
			unpin_folios(folios + i, got - i);
			while (i--)
				unpin_user_page_range_dirty_lock(pages[i], npages[i], false);
			return rc;
		}
		pages[i] = folio_page(folio, first);
		npages[i] = k;
		left -= k;
	}
	cond_resched();
	return i;
}
