/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fault injection at the n-th fault point a thread passes
 * (/proc/thread-self/fail-nth), shared by the tests that sweep a command
 * over every failure it can meet. The file is opened once per test, by the
 * test, into nth_fd: opening it again would allocate, and the injection
 * would land in the harness.
 */
#ifndef FAIL_NTH_UTIL_H
#define FAIL_NTH_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

static int nth_fd = -1;

/* Makes the @n-th fault point from now on fail (0: none). */
static inline int set_fail_nth(unsigned int n)
{
	char v[16];
	int len = snprintf(v, sizeof(v), "%u", n);

	return pwrite(nth_fd, v, len, 0) == len ? 0 : -errno;
}

/*
 * Ends the injection: whether the fault was injected (the counter reached
 * 0) during the run. As upstream's fail_nth_next(): reading and disabling
 * copy to and from user memory, which the usercopy faults can hit too; an
 * EFAULT there means the counter was still running, so the run was clean.
 */
static inline int end_fail_nth(void)
{
	char buf[32] = "";
	ssize_t res = pread(nth_fd, buf, sizeof(buf) - 1, 0);
	int injected = res == 2 && buf[0] == '0' && buf[1] == '\n';

	if (res < 0 && errno == EFAULT)
		injected = 0;
	if (pwrite(nth_fd, "0", 1, 0) != 1)
		(void)!pwrite(nth_fd, "0", 1, 0);
	return injected;
}

#endif /* FAIL_NTH_UTIL_H */
