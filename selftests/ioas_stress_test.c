// SPDX-License-Identifier: GPL-2.0
/*
 * Several threads map, unmap, copy, allocate and destroy IOAS on one file at
 * once, for a bounded time. Afterwards the state must be consistent (every
 * IOAS unmaps cleanly, ids are all accounted for) and every pin released;
 * the boot itself fails on any oops, warning or lockdep report.
 */
#include <pthread.h>
#include <time.h>

#include "kselftest_harness.h"
#include "ioas_util.h"

#define THREADS 4
#define SECONDS 3
#define SHARED_IOAS 2

struct stress {
	int fd;
	/*
	 * The shared IOAS ids. Destroying one and putting a new one in its
	 * place happens under replace_lock, and only if the id is still the
	 * current one: a stale id may have been reused by the kernel for
	 * another thread's private IOAS, which must not be destroyed under it.
	 * Other operations use ids without the lock: a stale id then answers
	 * ENOENT, or reaches whatever IOAS reused it, harmlessly.
	 */
	__u32 shared[SHARED_IOAS];
	pthread_mutex_t replace_lock;
	char *buf;
	time_t end;
	unsigned long ops[THREADS];
	unsigned long unexpected[THREADS];
};

struct worker {
	struct stress *s;
	int idx;
};

static int expected(int rc, const int *ok, int n)
{
	for (int i = 0; i < n; i++)
		if (rc == ok[i])
			return 1;
	return 0;
}

/* Counts an answer outside `ok`, and says which (the first few). */
static void check_answer(struct worker *w, const char *op, int rc, const int *ok, int n)
{
	struct stress *s = w->s;

	if (expected(rc, ok, n))
		return;
	if (s->unexpected[w->idx]++ < 5)
		fprintf(stderr, "# thread %d: %s answered %d (%s)\n", w->idx, op, rc,
			strerror(rc));
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;
	unsigned int seed = 1234 + w->idx;

	while (time(NULL) < s->end) {
		int k = rand_r(&seed) % SHARED_IOAS;
		__u32 ioas = __atomic_load_n(&s->shared[k], __ATOMIC_RELAXED);
		__u64 iova = (rand_r(&seed) % 64) * PAGE, d = 0;
		size_t len = (1 + rand_r(&seed) % 8) * PAGE;
		char *va = s->buf + (rand_r(&seed) % 32) * PAGE;
		__u32 tmp;
		int rc;

		switch (rand_r(&seed) % 6) {
		case 0: {
			static const int ok[] = { 0, EEXIST, ENOENT };
			rc = map(s->fd, ioas, va, len, &iova, FIXED);
			check_answer(w, "fixed map", rc, ok, 3);
			break;
		}
		case 1: {
			static const int ok[] = { 0, ENOSPC, ENOENT };
			rc = map(s->fd, ioas, va, len, &d, RW);
			check_answer(w, "map", rc, ok, 3);
			break;
		}
		case 2: {
			static const int ok[] = { 0, ENOENT };
			rc = unmap(s->fd, ioas, iova, len, NULL);
			check_answer(w, "unmap", rc, ok, 2);
			break;
		}
		case 3: {
			static const int ok[] = { 0, ENOENT, EEXIST };
			__u64 dst = (64 + rand_r(&seed) % 64) * PAGE;
			rc = copy(s->fd, s->shared[rand_r(&seed) % SHARED_IOAS], ioas, iova,
				  len, &dst, FIXED);
			check_answer(w, "copy", rc, ok, 3);
			break;
		}
		case 4: {
			/* A private IOAS, mapped and destroyed while others run. */
			static const int ok[] = { 0 };
			rc = ioas_alloc(s->fd, &tmp);
			if (!rc) {
				d = 0;
				rc = map(s->fd, tmp, va, len, &d, RW);
				if (!rc)
					rc = destroy(s->fd, tmp);
			}
			check_answer(w, "private IOAS alloc, map, destroy", rc, ok, 1);
			break;
		}
		default: {
			/* Destroying a shared IOAS other threads are using:
			 * it goes and a new one takes its place, unless
			 * another thread replaced it first. */
			static const int ok[] = { 0 }, ok2[] = { 0, ENOENT };
			if (rand_r(&seed) % 50 == 0) {
				pthread_mutex_lock(&s->replace_lock);
				if (__atomic_load_n(&s->shared[k], __ATOMIC_RELAXED) == ioas) {
					rc = destroy(s->fd, ioas);
					check_answer(w, "shared IOAS destroy", rc, ok, 1);
					if (!rc && !ioas_alloc(s->fd, &tmp))
						__atomic_store_n(&s->shared[k], tmp, __ATOMIC_RELAXED);
				}
				pthread_mutex_unlock(&s->replace_lock);
			}
			rc = unmap(s->fd, ioas, 0, UINT64_MAX, NULL);
			check_answer(w, "unmap all", rc, ok2, 2);
			break;
		}
		}
		s->ops[w->idx]++;
	}
	return NULL;
}

TEST(threads_map_unmap_copy_destroy)
{
	struct stress s = { .replace_lock = PTHREAD_MUTEX_INITIALIZER };
	struct worker w[THREADS];
	pthread_t t[THREADS];
	long pin0 = vm_pin_pages();
	unsigned long total = 0, bad = 0;

	s.fd = open(dev_path(), O_RDWR);
	ASSERT_LE(0, s.fd);
	s.buf = buffer(64 * PAGE);
	ASSERT_NE(NULL, s.buf);
	for (int i = 0; i < SHARED_IOAS; i++)
		ASSERT_EQ(0, ioas_alloc(s.fd, &s.shared[i]));
	s.end = time(NULL) + SECONDS;
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ &s, i };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, work, &w[i]));
	}
	for (int i = 0; i < THREADS; i++) {
		ASSERT_EQ(0, pthread_join(t[i], NULL));
		total += s.ops[i];
		bad += s.unexpected[i];
	}
	TH_LOG("%lu operations, %lu unexpected answers", total, bad);
	EXPECT_EQ(0UL, bad);
	EXPECT_LT(1000UL, total);
	/* Whatever survived is what its domains translate (none here: the
	 * check still walks every IOAS), and unmaps cleanly. */
	for (int i = 0; i < SHARED_IOAS; i++) {
		int rc = ioas_check(s.fd, s.shared[i], NULL, 0, NULL);

		EXPECT_TRUE(rc == 0 || rc == ENOENT) TH_LOG("IOAS %u: isolation check %d",
							    s.shared[i], rc);
	}
	/* Whatever survived unmaps cleanly. */
	for (int i = 0; i < SHARED_IOAS; i++) {
		int rc = unmap(s.fd, s.shared[i], 0, UINT64_MAX, NULL);

		EXPECT_TRUE(rc == 0 || rc == ENOENT);
	}
	close(s.fd);
	EXPECT_EQ(pin0, vm_pin_pages());
}

TEST_HARNESS_MAIN
