// SPDX-License-Identifier: GPL-2.0
/*
 * vEVENTQ: the queue of a vIOMMU's events for the VMM, read through its own
 * file, with upstream iommufd's semantics (drivers/iommu/iommufd/eventq.c
 * of Linux 7.3): each event is a struct iommufd_vevent_header followed by
 * the type's data; a sequence number modulo INT_MAX + 1 counts every event
 * queued; a full queue (or no memory) turns into one LOST_EVENTS header at
 * the tail, which the next event replaces (its sequence number shows the
 * gap). It lives in the registry module, as upstream's report function
 * lives in iommufd_driver.ko: IOMMU drivers report into it, and the front
 * end makes and drops it.
 *
 * Lifetime: two references, the front end's (its vEVENTQ object) and the
 * file's. The front end stops the driver's reports before dropping its
 * reference, so a report never meets a freed queue; the file may stay open
 * and readable after the object is destroyed, and just gets no new events.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <uapi/linux/iommufd.h>

#include "iommufd_rs_driver.h"

/**
 * struct iommufd_rs_vevent - one queued event
 * @header: what the reader gets first
 * @node: on &struct iommufd_rs_veventq.deliver
 * @data_len: bytes of @data
 * @data: the event record
 */
struct iommufd_rs_vevent {
	struct iommufd_vevent_header header;
	struct list_head node;
	size_t data_len;
	u8 data[] __counted_by(data_len);
};

/**
 * struct iommufd_rs_veventq - a vEVENTQ
 * @lock: protects @deliver, @num_events and @sequence
 * @deliver: events in order, possibly ending in @lost
 * @num_events: queued events, @lost not counted
 * @depth: the most events queued at once
 * @sequence: the next event's sequence number
 * @wait: readers and pollers
 * @ref: the front end's and the file's
 * @file: the file, until its descriptor is installed or given back
 * @lost: the LOST_EVENTS header, queued at the tail when events were dropped
 *        (last: its flexible data array stays empty)
 */
struct iommufd_rs_veventq {
	spinlock_t lock;
	struct list_head deliver;
	u32 num_events;
	u32 depth;
	u32 sequence;
	wait_queue_head_t wait;
	refcount_t ref;
	struct file *file;
	struct iommufd_rs_vevent lost;
};

static bool is_lost(const struct iommufd_rs_veventq *q, const struct iommufd_rs_vevent *e)
{
	return e->header.flags & IOMMU_VEVENTQ_FLAG_LOST_EVENTS;
}

/* Queues @e at the tail, in place of a trailing LOST_EVENTS header; with
 * q->lock held. */
static void enqueue(struct iommufd_rs_veventq *q, struct iommufd_rs_vevent *e)
{
	lockdep_assert_held(&q->lock);
	if (list_is_last(&q->lost.node, &q->deliver))
		list_del_init(&q->lost.node);
	list_add_tail(&e->node, &q->deliver);
	e->header.sequence = q->sequence;
	q->sequence = (q->sequence + 1) & INT_MAX;
	wake_up_interruptible(&q->wait);
}

/**
 * iommufd_rs_vevent_report() - queue one event of a vIOMMU
 * @q: the vIOMMU's vEVENTQ
 * @data: the event record (for ARM_SMMUV3, struct iommu_vevent_arm_smmuv3)
 * @len: its length
 *
 * Callable from any context that may not sleep too: the allocation does
 * not wait. When the queue is full or there is no memory, the event is
 * lost, and a LOST_EVENTS header says so.
 *
 * Return: 0, or -ENOMEM when the event was lost for want of memory.
 */
int iommufd_rs_vevent_report(struct iommufd_rs_veventq *q, const void *data, size_t len)
{
	struct iommufd_rs_vevent *e;
	unsigned long flags;

	e = kzalloc_flex(*e, data, len, GFP_NOWAIT);
	spin_lock_irqsave(&q->lock, flags);
	if (!e || q->num_events == q->depth) {
		kfree(e);
		enqueue(q, &q->lost);
	} else {
		e->data_len = len;
		memcpy(e->data, data, len);
		q->num_events++;
		enqueue(q, e);
	}
	spin_unlock_irqrestore(&q->lock, flags);
	return e ? 0 : -ENOMEM;
}
EXPORT_SYMBOL_NS_GPL(iommufd_rs_vevent_report, "IOMMUFD_RS");

/* The first event, taken off the queue; a copy of it if it is the
 * LOST_EVENTS header. NULL if none, ERR_PTR(-ENOMEM). */
static struct iommufd_rs_vevent *fetch(struct iommufd_rs_veventq *q)
{
	struct iommufd_rs_vevent *e = NULL, *next;

	spin_lock_irq(&q->lock);
	if (list_empty(&q->deliver))
		goto out;
	next = list_first_entry(&q->deliver, struct iommufd_rs_vevent, node);
	if (next == &q->lost) {
		e = kzalloc_obj(*e, GFP_ATOMIC);
		if (!e) {
			e = ERR_PTR(-ENOMEM);
			goto out;
		}
		memcpy(e, next, sizeof(*e));
	} else {
		e = next;
	}
	list_del_init(&next->node);
out:
	spin_unlock_irq(&q->lock);
	return e;
}

/* Puts @e back at the head (a copy of the LOST_EVENTS header: the header
 * itself, unless newer events replaced it meanwhile). */
static void restore(struct iommufd_rs_veventq *q, struct iommufd_rs_vevent *e)
{
	spin_lock_irq(&q->lock);
	if (is_lost(q, e)) {
		kfree(e);
		e = list_empty(&q->deliver) ? &q->lost : NULL;
	}
	if (e)
		list_add(&e->node, &q->deliver);
	spin_unlock_irq(&q->lock);
}

static ssize_t veventq_read(struct file *filep, char __user *buf, size_t count, loff_t *ppos)
{
	struct iommufd_rs_veventq *q = filep->private_data;
	const size_t hdr = sizeof(struct iommufd_vevent_header);
	struct iommufd_rs_vevent *e;
	size_t done = 0;
	int rc = 0;

	if (*ppos)
		return -ESPIPE;
	if (count < hdr)
		return -EINVAL;
	while ((e = fetch(q))) {
		if (IS_ERR(e)) {
			if (!done)
				rc = PTR_ERR(e);
			break;
		}
		if (hdr > count - done) {
			restore(q, e);
			break;
		}
		if (!is_lost(q, e) && hdr + e->data_len > count - done) {
			restore(q, e);
			/* Not even one whole event fits. */
			if (!done)
				rc = -EINVAL;
			break;
		}
		if (copy_to_user(buf + done, &e->header, hdr) ||
		    (e->data_len && copy_to_user(buf + done + hdr, e->data, e->data_len))) {
			restore(q, e);
			rc = -EFAULT;
			break;
		}
		done += hdr + e->data_len;
		if (!is_lost(q, e)) {
			spin_lock_irq(&q->lock);
			q->num_events--;
			spin_unlock_irq(&q->lock);
		}
		kfree(e);
	}
	return done ? done : rc;
}

static __poll_t veventq_poll(struct file *filep, struct poll_table_struct *wait)
{
	struct iommufd_rs_veventq *q = filep->private_data;
	__poll_t mask = 0;

	poll_wait(filep, &q->wait, wait);
	spin_lock_irq(&q->lock);
	if (!list_empty(&q->deliver))
		mask |= EPOLLIN | EPOLLRDNORM;
	spin_unlock_irq(&q->lock);
	return mask;
}

/**
 * iommufd_rs_veventq_put() - drop a reference
 * @q: the queue; freed with the last reference, with its events
 */
void iommufd_rs_veventq_put(struct iommufd_rs_veventq *q)
{
	struct iommufd_rs_vevent *e, *tmp;

	if (!refcount_dec_and_test(&q->ref))
		return;
	list_for_each_entry_safe(e, tmp, &q->deliver, node) {
		if (e != &q->lost)
			kfree(e);
	}
	kfree(q);
}
EXPORT_SYMBOL_NS_GPL(iommufd_rs_veventq_put, "IOMMUFD_RS");

static int veventq_release(struct inode *inode, struct file *filep)
{
	iommufd_rs_veventq_put(filep->private_data);
	return 0;
}

static const struct file_operations veventq_fops = {
	.owner = THIS_MODULE,
	.open = nonseekable_open,
	.read = veventq_read,
	.poll = veventq_poll,
	.release = veventq_release,
};

/**
 * iommufd_rs_veventq_alloc() - a vEVENTQ and its file
 * @depth: the most events queued at once (the caller checks the bounds)
 * @fd: a reserved descriptor for the file, installed by
 *      iommufd_rs_veventq_install() or given back by
 *      iommufd_rs_veventq_abort()
 *
 * Return: the queue, with the caller's reference and the file's; or an
 * ERR_PTR.
 */
struct iommufd_rs_veventq *iommufd_rs_veventq_alloc(u32 depth, int *fd)
{
	struct iommufd_rs_veventq *q;
	struct file *filep;

	q = kzalloc_obj(*q, GFP_KERNEL_ACCOUNT);
	if (!q)
		return ERR_PTR(-ENOMEM);
	spin_lock_init(&q->lock);
	INIT_LIST_HEAD(&q->deliver);
	INIT_LIST_HEAD(&q->lost.node);
	init_waitqueue_head(&q->wait);
	q->depth = depth;
	q->lost.header.flags = IOMMU_VEVENTQ_FLAG_LOST_EVENTS;
	refcount_set(&q->ref, 2);
	*fd = get_unused_fd_flags(O_CLOEXEC);
	if (*fd < 0) {
		int err = *fd;

		kfree(q);
		return ERR_PTR(err);
	}
	filep = anon_inode_getfile("[iommufd_rs-viommu-event]", &veventq_fops, q, O_RDWR);
	if (IS_ERR(filep)) {
		put_unused_fd(*fd);
		kfree(q);
		return ERR_CAST(filep);
	}
	q->file = filep;
	return q;
}
EXPORT_SYMBOL_NS_GPL(iommufd_rs_veventq_alloc, "IOMMUFD_RS");

/**
 * iommufd_rs_veventq_install() - publish the file of a new vEVENTQ
 * @q: from iommufd_rs_veventq_alloc()
 * @fd: its descriptor
 */
void iommufd_rs_veventq_install(struct iommufd_rs_veventq *q, int fd)
{
	struct file *filep = q->file;

	/* Once installed, a close may drop the last reference at once. */
	q->file = NULL;
	fd_install(fd, filep);
}
EXPORT_SYMBOL_NS_GPL(iommufd_rs_veventq_install, "IOMMUFD_RS");

/**
 * iommufd_rs_veventq_abort() - give back the descriptor and the file of a
 * vEVENTQ that is not published (the file's reference goes with it)
 * @q: from iommufd_rs_veventq_alloc()
 * @fd: its descriptor
 */
void iommufd_rs_veventq_abort(struct iommufd_rs_veventq *q, int fd)
{
	struct file *filep = q->file;

	q->file = NULL;
	put_unused_fd(fd);
	fput(filep);
}
EXPORT_SYMBOL_NS_GPL(iommufd_rs_veventq_abort, "IOMMUFD_RS");
