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
 * A batch is one call: the per-page work in Rust is the run builder's one
 * compare per page, no call.
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
 * @max: pages GUP may write to @pages (> 0, at most @left); @pages has room
 *       for this many
 * @writable: pin for device writes (FOLL_WRITE)
 * @probe: pin one page first: if it is part of a hugetlb folio, it stands
 *         for the rest of the folio within @left (see below)
 * @pages: receives the pinned pages, each holding one pin
 * @folio: set if only @pages[0] was written and stands for all the pages
 *         pinned: the following subpages of one hugetlb folio
 * @probe_next: set if the last page pinned is part of a hugetlb folio, so
 *              the next batch should probe
 *
 * A hugetlb folio is always mapped whole and aligned, so the virtual pages
 * after a subpage of it are its following subpages: those take their pins
 * with one folio_add_pins(), and a 1 GiB page costs one GUP call, not 512
 * of 512 pages. Other memory (small pages, THP, which can be mapped in
 * part) is pinned page by page, @max at a time. Pins with FOLL_LONGTERM
 * with pin_user_pages_fast() from the mm's own task, else with
 * pin_user_pages_remote() under the mmap lock, dropped before returning.
 *
 * C because pin_user_pages_remote() hands the mmap lock back through
 * *locked, which 7.3's MmapReadGuard cannot model, and the hugetlb probe
 * is made of folio inlines.
 *
 * Return: the number of pages pinned (> 0; at most @max, or at most @left
 * when *@folio); or -EFAULT (or another GUP
 * error) with nothing pinned.
 */
long iommufd_rs_gup_pin_user(struct mm_struct *mm, unsigned long addr, unsigned long left,
			     unsigned long max, bool writable, bool probe, struct page **pages,
			     bool *folio, bool *probe_next)
{
	unsigned int gup = FOLL_LONGTERM | (writable ? FOLL_WRITE : 0);
	long got = pin_pages(mm, addr, probe ? 1 : max, gup, pages);
	int rc;

	*folio = false;
	if (got <= 0)
		return got ? got : -EFAULT;
	if (probe && folio_test_hugetlb(page_folio(pages[0]))) {
		struct folio *f = page_folio(pages[0]);
		/*
		 * Bounded by the range, not by @max: only @pages[0] is written,
		 * so a 1 GiB folio is one call, not 512 of 512 pages.
		 */
		unsigned long rest = min(folio_nr_pages(f) - folio_page_idx(f, pages[0]), left);

		rc = rest > 1 ? folio_add_pins(f, rest - 1) : 0;
		if (rc) {
			unpin_user_page(pages[0]);
			return rc;
		}
		*folio = true;
		*probe_next = true;
		got = rest;
	} else {
		*probe_next = folio_test_hugetlb(page_folio(pages[got - 1]));
	}
	cond_resched();
	return got;
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
