# SPDX-License-Identifier: GPL-2.0
# Upstream's fault-injection selftest (slow under lockdep; not part of
# make check): make boot S=upstream-fail-nth
. /guest/lib.sh
modprobe iommufd || exit 1
/guest/upstream/iommufd_fail_nth
