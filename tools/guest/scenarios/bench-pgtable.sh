# SPDX-License-Identifier: GPL-2.0
# `make bench`, second part: iommufd-rs's rows with a domain attached, on
# the SMMU driver of provider $SMMU (smmu=intree|rs on the kernel command
# line): the in-tree io-pgtable vs our LPAE stage-2 table, one boot each.
. /guest/lib.sh
load_smmu || exit 1
load_iommufd_rs || exit 1
edu=$(for d in /sys/bus/pci/devices/*; do
	[ "$(cat $d/vendor):$(cat $d/device)" = "0x1234:0x11e8" ] && basename $d && break
done)
echo iommufd_rs >/sys/bus/pci/devices/$edu/driver_override
echo $edu >/sys/bus/pci/drivers_probe
/guest/bin/pair_bench --single "$SMMU" "$edu" /dev/iommu || exit 1
# For `make profile`: the modules' symbols (see bench.sh).
if [ -n "${PAIR_BENCH_MARK:-}" ]; then
	echo "@@KALLSYMS-BEGIN@@"
	grep '\[' /proc/kallsyms
	echo "@@KALLSYMS-END@@"
fi
