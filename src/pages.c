// SPDX-License-Identifier: GPL-2.0
/*
 * Pinned user memory for IOAS areas: pin_user_pages_fast(FOLL_LONGTERM) for
 * IOMMU_IOAS_MAP, memfd_pin_folios() for IOMMU_IOAS_MAP_FILE, and the
 * accounting upstream iommufd does (drivers/iommu/iommufd/pages.c):
 *
 *  - the pages are charged to user->locked_vm (IOMMUFD_RS_ACCOUNT_USER) or
 *    mm->locked_vm (IOMMUFD_RS_ACCOUNT_MM) against RLIMIT_MEMLOCK, unless
 *    the caller has CAP_IPC_LOCK;
 *  - mm->pinned_vm always counts them (VmPin in /proc/PID/status).
 *
 * The charge is taken before pinning and returned if pinning fails, so a
 * failed map leaves nothing pinned and nothing charged. Release may run in
 * any task (unmap, close, exit): it uses the user and mm recorded at pin
 * time, never current's.
 */
#include <linux/mm.h>
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/hugetlb.h>
#include <linux/memfd.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "fault.h"
#include "pages.h"

/* Pages pinned per pin_user_pages_fast() call: bounds each call's work. */
#define PIN_BATCH 512


static int charge(struct iommufd_rs_pages *p, unsigned long npages)
{
	unsigned long limit, cur, new;
	int rc;

	if (!capable(CAP_IPC_LOCK)) {
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
			} while (!atomic_long_try_cmpxchg(&p->user->locked_vm,
							  &cur, new));
		}
		p->charged = npages;
	}
	atomic64_add(npages, &p->mm->pinned_vm);
	return 0;
}

static void uncharge(struct iommufd_rs_pages *p, unsigned long npages)
{
	atomic64_sub(npages, &p->mm->pinned_vm);
	if (!p->charged)
		return;
	if (p->account == IOMMUFD_RS_ACCOUNT_MM)
		account_locked_vm(p->mm, p->charged, false);
	else
		atomic_long_sub(p->charged, &p->user->locked_vm);
	p->charged = 0;
}

static struct iommufd_rs_pages *pages_alloc(unsigned long npages, int account)
{
	struct iommufd_rs_pages *p;

	if (account != IOMMUFD_RS_ACCOUNT_USER && account != IOMMUFD_RS_ACCOUNT_MM)
		return ERR_PTR(-EINVAL);
	/*
	 * The length is the user's: an array kvmalloc() cannot make at all is
	 * -ENOMEM, not a warning, and a large one that fails is quiet.
	 */
	if (npages > INT_MAX / sizeof(*p->pages))
		return ERR_PTR(-ENOMEM);
	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p)
		return ERR_PTR(-ENOMEM);
	p->pages = kvcalloc(npages, sizeof(*p->pages), GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!p->pages) {
		kfree(p);
		return ERR_PTR(-ENOMEM);
	}
	p->npages = npages;
	p->account = account;
	p->user = get_uid(current_user());
	p->mm = current->mm;
	mmgrab(p->mm);
	return p;
}

static void pages_free(struct iommufd_rs_pages *p)
{
	mmdrop(p->mm);
	free_uid(p->user);
	kvfree(p->folios);
	kvfree(p->pages);
	kfree(p);
}

/* Pages spanned by [start, start + length), length > 0, no overflow. */
static unsigned long span_pages(u64 start, u64 length)
{
	return ((start + length - 1) >> PAGE_SHIFT) - (start >> PAGE_SHIFT) + 1;
}

/**
 * iommufd_rs_pages_pin_user() - pin and account user memory
 * @uaddr: first byte
 * @length: bytes (> 0, uaddr + length must not wrap)
 * @writable: devices may write: pin with FOLL_WRITE
 * @account: enum iommufd_rs_account
 * @out: the pinned pages on success
 *
 * Return: 0; -ENOMEM over RLIMIT_MEMLOCK or out of memory; -EFAULT (or
 * another GUP error) if any page cannot be pinned. On error nothing stays
 * pinned or charged.
 */
int iommufd_rs_pages_pin_user(unsigned long uaddr, unsigned long length,
			      bool writable, int account,
			      struct iommufd_rs_pages **out)
{
	unsigned int gup = FOLL_LONGTERM | (writable ? FOLL_WRITE : 0);
	unsigned long npages, done = 0, start = uaddr & PAGE_MASK;
	struct iommufd_rs_pages *p;
	int rc;

	if (!length || uaddr + length - 1 < uaddr)
		return -EOVERFLOW;
	/* Nothing beyond the user's address space can be pinned. */
	if (!current->mm || !access_ok((void __user *)uaddr, length))
		return -EFAULT;
	npages = span_pages(uaddr, length);
	p = pages_alloc(npages, account);
	if (IS_ERR(p))
		return PTR_ERR(p);
	p->offset = uaddr & ~PAGE_MASK;
	p->writable = writable;
	rc = charge(p, npages);
	if (rc)
		goto err_free;
	while (done < npages) {
		int n = min_t(unsigned long, npages - done, PIN_BATCH);
		long got = should_fail(&iommufd_rs_fail_pin, n) ? -EFAULT :
			   pin_user_pages_fast(start + done * PAGE_SIZE, n, gup,
					       p->pages + done);

		if (got <= 0) {
			rc = got ? got : -EFAULT;
			goto err_unpin;
		}
		done += got;
		cond_resched();
	}
	*out = p;
	return 0;

err_unpin:
	unpin_user_pages(p->pages, done);
	uncharge(p, npages);
err_free:
	pages_free(p);
	return rc;
}

/**
 * iommufd_rs_pages_pin_memfd() - pin and account a range of a memfd
 * @fd: a memfd (shmem or hugetlbfs) of the calling process
 * @start: first byte in the file
 * @length: bytes (> 0, no wrap)
 * @writable: devices may write: the file must be open for writing
 * @account: enum iommufd_rs_account
 * @out: the pinned pages on success
 *
 * Return: 0; -EBADF for a bad fd; -EINVAL if it is not a memfd; -EPERM for a
 * writable map of a read-only file; -ENOMEM as for user memory. On error
 * nothing stays pinned or charged.
 */
int iommufd_rs_pages_pin_memfd(int fd, u64 start, u64 length, bool writable,
			       int account, struct iommufd_rs_pages **out)
{
	struct iommufd_rs_pages *p;
	unsigned long npages, i, n;
	pgoff_t foff;
	struct file *file;
	long got;
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
	if (writable && !(file->f_mode & FMODE_WRITE))
		goto out_fput;
	rc = -EINVAL;
	if (start + length > i_size_read(file_inode(file)))
		goto out_fput;

	npages = span_pages(start, length);
	p = pages_alloc(npages, account);
	if (IS_ERR(p)) {
		rc = PTR_ERR(p);
		goto out_fput;
	}
	p->folios = kvcalloc(npages, sizeof(*p->folios), GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!p->folios) {
		rc = -ENOMEM;
		goto err_free;
	}
	p->writable = writable;
	rc = charge(p, npages);
	if (rc)
		goto err_free;
	got = should_fail(&iommufd_rs_fail_pin, npages) ? -EFAULT :
	      memfd_pin_folios(file, start, start + length - 1, p->folios, npages, &foff);
	if (got <= 0) {
		rc = got ? got : -EFAULT;
		goto err_uncharge;
	}
	p->nfolios = got;
	/* Expand the folios into the pages the range covers. */
	n = 0;
	for (i = 0; i < p->nfolios && n < npages; i++) {
		struct folio *folio = p->folios[i];
		unsigned long idx = i ? 0 : foff >> PAGE_SHIFT;

		for (; idx < folio_nr_pages(folio) && n < npages; idx++)
			p->pages[n++] = folio_page(folio, idx);
	}
	if (n != npages) {
		rc = -EFAULT;
		goto err_unpin;
	}
	p->offset = start & ~PAGE_MASK;
	fput(file);
	*out = p;
	return 0;

err_unpin:
	unpin_folios(p->folios, p->nfolios);
err_uncharge:
	uncharge(p, npages);
err_free:
	pages_free(p);
out_fput:
	fput(file);
	return rc;
}

/**
 * iommufd_rs_pages_release() - unpin, uncharge and free
 * @p: pages from a pin function; not used afterwards
 */
void iommufd_rs_pages_release(struct iommufd_rs_pages *p)
{
	if (p->folios)
		unpin_folios(p->folios, p->nfolios);
	else
		unpin_user_pages_dirty_lock(p->pages, p->npages, p->writable);
	uncharge(p, p->npages);
	pages_free(p);
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
