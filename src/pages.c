// SPDX-License-Identifier: GPL-2.0
/*
 * User memory behind IOAS areas, in two steps, because a mapping needs its
 * pages pinned only while a domain maps it (upstream iommufd,
 * drivers/iommu/iommufd/pages.c, pins on the same demand):
 *
 *  - IOMMU_IOAS_MAP and MAP_FILE check the request (the user range is in
 *    the user's address space; the file is a memfd, large enough, writable
 *    for a writable map) and charge it to user->locked_vm
 *    (IOMMUFD_RS_ACCOUNT_USER) or mm->locked_vm (IOMMUFD_RS_ACCOUNT_MM)
 *    against RLIMIT_MEMLOCK, unless the caller has CAP_IPC_LOCK;
 *  - iommufd_rs_pages_pin() pins the pages (pin_user_pages_fast() or, from
 *    another task, pin_user_pages_remote(), with FOLL_LONGTERM; or
 *    memfd_pin_folios()) when the first domain needs them, and
 *    iommufd_rs_pages_unpin() unpins them when the last one is done;
 *    mm->pinned_vm (VmPin) counts them while they are pinned.
 *
 * Upstream charges when it pins. Charging at map instead answers
 * RLIMIT_MEMLOCK in the command that asks for the memory, so attaching a
 * device never fails on the limit, and the charge covers every pin the
 * mapping may later hold.
 *
 * Pinned pages are kept as runs of contiguous pages, not one pointer per
 * page: a domain maps each run with one iommu_map() call, and a hugetlb
 * folio costs one GUP call and one run whatever its size. Release may run in
 * any task (unmap, close, exit): it uses the user, mm and file recorded at
 * map time, never current's.
 */
#include <linux/mm.h>
#include <linux/capability.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/memfd.h>
#include <linux/overflow.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "fault.h"
#include "pages.h"

/* Pages (or folios) pinned per GUP call: bounds each call's work and the
 * temporary array it fills. */
#define PIN_BATCH 512UL

static int charge(struct iommufd_rs_pages *p)
{
	unsigned long limit, cur, new, npages = p->npages;
	int rc;

	if (capable(CAP_IPC_LOCK))
		return 0;
	if (p->account == IOMMUFD_RS_ACCOUNT_MM) {
		rc = account_locked_vm(p->mm, npages, true);
		if (rc)
			return rc;
	} else {
		limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
		cur = atomic_long_read(&p->user->locked_vm);
		do {
			new = cur + npages;
			if (new < cur || new > limit)
				return -ENOMEM;
		} while (!atomic_long_try_cmpxchg(&p->user->locked_vm, &cur, new));
	}
	p->charged = npages;
	return 0;
}

static void uncharge(struct iommufd_rs_pages *p)
{
	if (!p->charged)
		return;
	if (p->account == IOMMUFD_RS_ACCOUNT_MM)
		account_locked_vm(p->mm, p->charged, false);
	else
		atomic_long_sub(p->charged, &p->user->locked_vm);
	p->charged = 0;
}

static_assert(sizeof(struct iommufd_rs_pages) <= IOMMUFD_RS_PAGES_WORDS * sizeof(u64));
static_assert(__alignof__(struct iommufd_rs_pages) <= __alignof__(u64));

/* Sets up the common part of @p, which Rust sized (@size bytes). */
static int pages_init(struct iommufd_rs_pages *p, size_t size, unsigned long npages,
		      int account)
{
	if (WARN_ON_ONCE(size < sizeof(*p)))
		return -EINVAL;
	if (account != IOMMUFD_RS_ACCOUNT_USER && account != IOMMUFD_RS_ACCOUNT_MM)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->npages = npages;
	p->account = account;
	p->user = get_uid(current_user());
	p->mm = current->mm;
	mmgrab(p->mm);
	return 0;
}

/* Drops the references pages_init() and the file's init took. */
static void pages_put(struct iommufd_rs_pages *p)
{
	if (p->file) {
		if (p->writable)
			mapping_unmap_writable(p->file->f_mapping);
		fput(p->file);
	}
	mmdrop(p->mm);
	free_uid(p->user);
}

/* Pages spanned by [start, start + length), length > 0, no overflow. */
static unsigned long span_pages(u64 start, u64 length)
{
	return ((start + length - 1) >> PAGE_SHIFT) - (start >> PAGE_SHIFT) + 1;
}

/**
 * iommufd_rs_pages_init_user() - charge user memory for a map
 * @p: where the state goes (Rust's storage, @size bytes)
 * @size: the storage's size
 * @uaddr: first byte
 * @length: bytes (> 0, uaddr + length must not wrap)
 * @writable: devices may write: pin with FOLL_WRITE
 * @account: enum iommufd_rs_account
 *
 * As upstream, the memory itself is not looked at until it is pinned: what
 * GUP refuses (a hole, read-only memory for a writable map, VM_IO) fails
 * then, with GUP's error.
 *
 * Return: 0; -EFAULT beyond the user's address space; -ENOMEM over
 * RLIMIT_MEMLOCK or out of memory. On error nothing stays charged.
 */
int iommufd_rs_pages_init_user(struct iommufd_rs_pages *p, size_t size,
			       unsigned long uaddr, unsigned long length,
			       bool writable, int account)
{
	int rc;

	if (!length || uaddr + length - 1 < uaddr)
		return -EOVERFLOW;
	/* Nothing beyond the user's address space can be pinned. */
	if (!current->mm || !access_ok((void __user *)uaddr, length))
		return -EFAULT;
	rc = pages_init(p, size, span_pages(uaddr, length), account);
	if (rc)
		return rc;
	p->uaddr = uaddr & PAGE_MASK;
	p->offset = uaddr & ~PAGE_MASK;
	p->writable = writable;
	rc = charge(p);
	if (rc)
		pages_put(p);
	return rc;
}

/*
 * The seals of a memfd (shmem or hugetlbfs file), read as mm/memfd.c's
 * memfd_get_seals() does, which is not exported. Seals are only ever added,
 * so a lockless read is at worst one seal behind a concurrent F_ADD_SEALS.
 */
static unsigned int memfd_seals(struct file *file)
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
 * iommufd_rs_pages_init_memfd() - check and charge a range of a memfd
 * @p: where the state goes (Rust's storage, @size bytes)
 * @size: the storage's size
 * @fd: a memfd (shmem or hugetlbfs) of the calling process
 * @start: first byte in the file
 * @length: bytes (> 0, no wrap)
 * @writable: devices may write: the file must be open for writing
 * @account: enum iommufd_rs_account
 *
 * On success @p holds a reference to the file.
 *
 * A writable map is a writable shared mapping of the file, as mmap() makes
 * one: refused if the memfd is sealed against writes (F_SEAL_WRITE or
 * F_SEAL_FUTURE_WRITE, as memfd_check_seals_mmap() refuses PROT_WRITE
 * MAP_SHARED), and it holds the mapping's i_mmap_writable count
 * (mapping_map_writable()) until the pages are destroyed, so a later
 * F_SEAL_WRITE fails with -EBUSY instead of sealing memory devices may
 * still write.
 *
 * Return: 0; -EBADF for a bad fd; -EINVAL if it is not a memfd or the range
 * runs past its end; -EPERM for a writable map of a read-only or
 * write-sealed file; -ENOMEM as for user memory. On error nothing stays
 * charged.
 */
int iommufd_rs_pages_init_memfd(struct iommufd_rs_pages *p, size_t size, int fd,
				u64 start, u64 length, bool writable, int account)
{
	struct file *file;
	int rc;

	if (!length || start + length - 1 < start)
		return -EOVERFLOW;
	if (!current->mm)
		return -EFAULT;
	file = fget(fd);
	if (!file)
		return -EBADF;
	rc = -EINVAL;
	if (!shmem_file(file) && !is_file_hugepages(file))
		goto out_fput;
	rc = -EPERM;
	if (writable && (!(file->f_mode & FMODE_WRITE) ||
			 (memfd_seals(file) & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE))))
		goto out_fput;
	rc = -EINVAL;
	if (start + length > i_size_read(file_inode(file)))
		goto out_fput;
	/* -EPERM if F_SEAL_WRITE came after the check above. */
	if (writable) {
		rc = mapping_map_writable(file->f_mapping);
		if (rc)
			goto out_fput;
	}
	rc = pages_init(p, size, span_pages(start, length), account);
	if (rc) {
		if (writable)
			mapping_unmap_writable(file->f_mapping);
		goto out_fput;
	}
	p->file = file;
	p->fstart = start & PAGE_MASK;
	p->flast = start + length - 1;
	p->offset = start & ~PAGE_MASK;
	p->writable = writable;
	rc = charge(p);
	if (rc)
		pages_put(p);
	return rc;

out_fput:
	fput(file);
	return rc;
}

/*
 * Builds p->runs while pages are pinned in index order. @next_page and
 * @next_pfn are the page that would extend the last run: a page extends it
 * only if it follows in the memory map and in physical memory, which
 * unpin_user_page_range_dirty_lock() and iommu_map() need.
 */
struct run_builder {
	struct iommufd_rs_pages *p;
	unsigned long cap;
	struct page *next_page;
	unsigned long next_pfn;
};

/* Makes room for one more run and the sentinel: the rare, slow part. */
static noinline int runs_grow(struct run_builder *b)
{
	struct iommufd_rs_pages *p = b->p;
	struct iommufd_rs_run *grown;
	/* At most one run per page, and the sentinel. */
	unsigned long want = min(max(b->cap * 2, 4UL), p->npages + 1);

	grown = kvrealloc(p->runs, array_size(want, sizeof(*p->runs)),
			  GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!grown)
		return -ENOMEM;
	p->runs = grown;
	b->cap = want;
	return 0;
}

/*
 * Whether @page extends the last run. With a virtually mapped memory map
 * (arm64 always has one) consecutive struct pages are consecutive PFNs;
 * without one, the PFN is checked too.
 */
static inline bool runs_extend(const struct run_builder *b, struct page *page)
{
	if (IS_ENABLED(CONFIG_SPARSEMEM_VMEMMAP))
		return page == b->next_page;
	return page == b->next_page && page_to_pfn(page) == b->next_pfn;
}

/*
 * Adds the @n pinned pages from @page (contiguous: one folio's) at index
 * @idx, the next index: they extend the last run or start one. Called per
 * page of small pages, so the common case is one compare.
 */
static inline int runs_add(struct run_builder *b, struct page *page, unsigned long idx,
			   unsigned long n)
{
	struct iommufd_rs_pages *p = b->p;

	if (!runs_extend(b, page)) {
		if (unlikely(p->nruns + 2 > b->cap) && runs_grow(b))
			return -ENOMEM;
		p->runs[p->nruns++] = (struct iommufd_rs_run){ .page = page, .idx = idx };
		b->next_page = page;
		b->next_pfn = page_to_pfn(page);
	}
	b->next_page += n;
	b->next_pfn += n;
	return 0;
}

/* Unpins the runs' first @upto pages, dirtying them if @dirty. */
static void runs_unpin(struct iommufd_rs_pages *p, unsigned long upto, bool dirty)
{
	unsigned long i, end;

	for (i = 0; i < p->nruns && p->runs[i].idx < upto; i++) {
		end = i + 1 < p->nruns ? min(p->runs[i + 1].idx, upto) : upto;
		unpin_user_page_range_dirty_lock(p->runs[i].page, end - p->runs[i].idx, dirty);
		if (i % 512 == 511)
			cond_resched();
	}
}

/*
 * Pins up to @n pages from @addr of @p->mm into @batch: with
 * pin_user_pages_fast() in the mm's own task, else with
 * pin_user_pages_remote() under its mmap lock (*@locked says whether it is
 * held; GUP may drop it).
 */
static long pin_batch(struct iommufd_rs_pages *p, unsigned long addr, unsigned long n,
		      struct page **batch, int *locked)
{
	unsigned int gup = FOLL_LONGTERM | (p->writable ? FOLL_WRITE : 0);

	if (should_fail(&iommufd_rs_fail_pin, n))
		return -EFAULT;
	if (current->mm == p->mm)
		return pin_user_pages_fast(addr, n, gup, batch);
	if (!*locked) {
		if (mmap_read_lock_killable(p->mm))
			return -EINTR;
		*locked = 1;
	}
	return pin_user_pages_remote(p->mm, addr, n, gup, batch, locked);
}

/*
 * Pins user memory into runs; returns the pages pinned in *@done. A first
 * page that is part of a hugetlb folio stands for the rest of the folio: a
 * hugetlb folio is always mapped whole and aligned, so the following virtual
 * pages are its following subpages. Those take their pins with one
 * folio_add_pins(), and a 1 GiB page costs one GUP call, not 512 of 512
 * pages. Other memory (small pages, THP, which can be mapped in part) is
 * pinned page by page in batches; a hugetlb page at a batch's end makes the
 * next step look for a folio again.
 */
static int pin_user(struct run_builder *rb, unsigned long *done)
{
	struct iommufd_rs_pages *p = rb->p;
	bool remote = current->mm != p->mm, probe = true;
	struct page **batch;
	int locked = 0, rc = 0;
	unsigned long i;
	long got;

	batch = kmalloc_array(min(p->npages, PIN_BATCH), sizeof(*batch), GFP_KERNEL);
	if (!batch)
		return -ENOMEM;
	if (remote && !mmget_not_zero(p->mm)) {
		kfree(batch);
		return -EFAULT;
	}
	while (*done < p->npages) {
		unsigned long n = probe ? 1 : min(p->npages - *done, PIN_BATCH);

		got = pin_batch(p, p->uaddr + *done * PAGE_SIZE, n, batch, &locked);
		if (got <= 0) {
			rc = got ? got : -EFAULT;
			break;
		}
		if (probe && folio_test_hugetlb(page_folio(batch[0]))) {
			struct folio *folio = page_folio(batch[0]);
			unsigned long rest = min(folio_nr_pages(folio) - folio_page_idx(folio, batch[0]),
						 p->npages - *done);

			rc = rest > 1 ? folio_add_pins(folio, rest - 1) : 0;
			if (rc) {
				unpin_user_page(batch[0]);
				break;
			}
			rc = runs_add(rb, batch[0], *done, rest);
			if (rc) {
				unpin_user_page_range_dirty_lock(batch[0], rest, false);
				break;
			}
			*done += rest;
		} else {
			for (i = 0; i < got; i++) {
				rc = runs_add(rb, batch[i], *done + i, 1);
				if (rc) {
					unpin_user_pages(batch + i, got - i);
					break;
				}
			}
			*done += i;
			if (rc)
				break;
			probe = folio_test_hugetlb(page_folio(batch[got - 1]));
		}
		/* Let the mapping process's mm change between batches. */
		if (locked) {
			mmap_read_unlock(p->mm);
			locked = 0;
		}
		cond_resched();
	}
	if (locked)
		mmap_read_unlock(p->mm);
	if (remote)
		mmput(p->mm);
	kfree(batch);
	return rc;
}

/*
 * Pins a memfd range into runs; returns the pages pinned in *@done.
 * memfd_pin_folios() pins each folio once; the folio then takes one more
 * pin for each further page of it the range holds, so that every page of a
 * run holds one, as for user memory.
 */
static int pin_memfd(struct run_builder *rb, unsigned long *done)
{
	struct iommufd_rs_pages *p = rb->p;
	struct folio **folios;
	unsigned long i, k;
	pgoff_t foff;
	long got;
	int rc = 0;

	folios = kmalloc_array(min(p->npages, PIN_BATCH), sizeof(*folios), GFP_KERNEL);
	if (!folios)
		return -ENOMEM;
	while (!rc && *done < p->npages) {
		unsigned long max = min(p->npages - *done, PIN_BATCH);

		got = should_fail(&iommufd_rs_fail_pin, max) ? -EFAULT :
		      memfd_pin_folios(p->file, p->fstart + ((loff_t)*done << PAGE_SHIFT),
				       p->flast, folios, max, &foff);
		if (got <= 0) {
			rc = got ? got : -EFAULT;
			break;
		}
		for (i = 0; i < got; i++) {
			struct folio *folio = folios[i];
			unsigned long first = i ? 0 : foff >> PAGE_SHIFT;

			if (*done == p->npages) {
				/* More folios than the range: cannot happen. */
				unpin_folios(folios + i, got - i);
				break;
			}
			k = min(folio_nr_pages(folio) - first, p->npages - *done);
			rc = k > 1 ? folio_add_pins(folio, k - 1) : 0;
			if (rc) {
				unpin_folios(folios + i, got - i);
				break;
			}
			rc = runs_add(rb, folio_page(folio, first), *done, k);
			if (rc) {
				unpin_user_page_range_dirty_lock(folio_page(folio, first), k, false);
				unpin_folios(folios + i + 1, got - i - 1);
				break;
			}
			*done += k;
		}
		cond_resched();
	}
	kfree(folios);
	return rc;
}

/**
 * iommufd_rs_pages_pin() - pin the pages for the domains
 * @p: prepared pages, not pinned
 *
 * Called with the Rust owner's pin lock held, which orders it with
 * iommufd_rs_pages_unpin() and the domain functions.
 *
 * Return: 0; -EFAULT (or another GUP or memfd error) if a page cannot be
 * pinned, for instance because the user unmapped it since IOMMU_IOAS_MAP;
 * -ENOMEM. On error nothing stays pinned.
 */
int iommufd_rs_pages_pin(struct iommufd_rs_pages *p)
{
	struct run_builder rb = { .p = p };
	unsigned long done = 0;
	int rc;

	if (WARN_ON_ONCE(p->runs))
		return -EINVAL;
	rc = p->file ? pin_memfd(&rb, &done) : pin_user(&rb, &done);
	if (rc) {
		runs_unpin(p, done, false);
		kvfree(p->runs);
		p->runs = NULL;
		p->nruns = 0;
		return rc;
	}
	p->runs[p->nruns] = (struct iommufd_rs_run){ .page = NULL, .idx = p->npages };
	atomic64_add(p->npages, &p->mm->pinned_vm);
	return 0;
}

/**
 * iommufd_rs_pages_unpin() - unpin the pages; no domain may map them
 * @p: pinned pages
 */
void iommufd_rs_pages_unpin(struct iommufd_rs_pages *p)
{
	if (WARN_ON_ONCE(!p->runs))
		return;
	runs_unpin(p, p->npages, p->writable);
	atomic64_sub(p->npages, &p->mm->pinned_vm);
	kvfree(p->runs);
	p->runs = NULL;
	p->nruns = 0;
}

/**
 * iommufd_rs_pages_destroy() - unpin if pinned, uncharge, drop references
 * @p: pages an init function set up; not used afterwards (Rust frees the
 *     storage)
 */
void iommufd_rs_pages_destroy(struct iommufd_rs_pages *p)
{
	if (p->runs)
		iommufd_rs_pages_unpin(p);
	uncharge(p);
	pages_put(p);
}

/**
 * iommufd_rs_pages_run() - where the pinned run holding a page is, for the
 * map path (src/pages.rs Pages::for_each_run())
 * @p: the mapping's pages
 * @idx: index of a page among the mapping's pages
 * @offset: always set: the byte offset of the mapping's first byte in its
 *          first page
 * @phys: the physical address of page @idx
 * @end: the index of the first page past @idx's run (the next run's first)
 *
 * Return: 0, or -EINVAL if the pages are not pinned or @idx is not theirs.
 */
int iommufd_rs_pages_run(const struct iommufd_rs_pages *p, u64 idx, u64 *offset,
			 u64 *phys, u64 *end)
{
	unsigned long lo = 0, hi = p->nruns;

	*offset = p->offset;
	if (!p->runs || idx >= p->npages)
		return -EINVAL;
	/* The last run that starts at or before the page. */
	while (hi - lo > 1) {
		unsigned long mid = lo + (hi - lo) / 2;

		if (p->runs[mid].idx <= idx)
			lo = mid;
		else
			hi = mid;
	}
	*phys = page_to_phys(p->runs[lo].page) + (idx - p->runs[lo].idx) * PAGE_SIZE;
	*end = p->runs[lo + 1].idx;
	return 0;
}

/** iommufd_rs_pages_writable() - whether devices may write the pages */
bool iommufd_rs_pages_writable(const struct iommufd_rs_pages *p)
{
	return p->writable;
}

/** iommufd_rs_capable_sys_resource() - capable(CAP_SYS_RESOURCE) */
bool iommufd_rs_capable_sys_resource(void)
{
	return capable(CAP_SYS_RESOURCE);
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
