# SPDX-License-Identifier: GPL-2.0
# smmu_rs's own checks, run after the suites on it (selftest-rs.sh): the
# devices sit behind our SMMU with bypass default domains, our event queue
# logged the suites' DMA to an unmapped IOVA, no domain outlived the suites,
# a host driver (virtio-rng) works behind the SMMU, and unbind, rmmod and
# reload work, also with a file and a host driver holding devices behind
# the SMMU (smmu_rs_unbind.c) and with threads mapping and unmapping while
# it goes, round after round (smmu_rs_unbind_race.c), with DMA, MSI and the
# host driver working again after each reload.
. /guest/lib.sh
SMMU_DEV=$(basename "$(readlink -f /sys/bus/platform/drivers/smmu_rs/*.smmuv3 2>/dev/null)")
DEBUGFS=/sys/kernel/debug/smmu_rs

groups() { ls /sys/kernel/iommu_groups | wc -l; }
GROUPS_AT_START=$(groups)
edu_bdfs() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1234:0x11e8 ] && basename "$d"
	done
}
edu_behind_smmu_rs() {
	local n=0 bdf iommu
	for bdf in $(edu_bdfs); do
		iommu=$(basename "$(readlink -f /sys/bus/pci/devices/$bdf/iommu)")
		echo "$bdf: iommu $iommu, group $(basename "$(readlink /sys/bus/pci/devices/$bdf/iommu_group)")"
		case $iommu in smmu_rs.*) n=$((n + 1)) ;; *) return 1 ;; esac
	done
	[ $n = 4 ]
}
all_identity() {
	cat /sys/kernel/iommu_groups/*/type
	! grep -qv '^identity$' /sys/kernel/iommu_groups/*/type
}
# edu_dma_test's unmapped_iova_is_not_reached writes to IOVA 0x102000 from
# 0000:00:01.0 (stream id 0x8) after UNMAP.
fault_logged() {
	dmesg | grep 'smmu_rs' | grep -m3 'F_TRANSLATION'
	dmesg | grep -q "smmu_rs .*event 0x10 F_TRANSLATION: sid 0x8 iova 0x102000 .* write"
}
# iommufd_rs is unloaded by now: every stage-2 domain and every table page
# must be freed.
nothing_left() {
	echo "domains: $(cat $DEBUGFS/domains); table pages: $(cat $DEBUGFS/table_pages)"
	[ -r $DEBUGFS/domains ] && [ -z "$(cat $DEBUGFS/domains)" ] &&
		[ "$(cat $DEBUGFS/table_pages)" = 0 ]
}

# The virtio-rng at 00:03.0 (stream id 0x18) on its ordinary host driver,
# loaded after smmu_rs so the device is probed behind our SMMU first. It
# negotiated VIRTIO_F_ACCESS_PLATFORM (feature bit 33, from QEMU's
# iommu_platform=on), so its virtqueues are DMA through the DMA API and the
# SMMU, here with the identity default domain: 256 random bytes read from
# /dev/hwrng came in by DMA. What it saw goes to stdout, shown as TAP
# diagnostics after the check.
RNG=0000:00:03.0
host_driver_works() {
	local dev=/sys/bus/pci/devices/$RNG iommu domain driver hwrng bytes features
	modprobe virtio_pci && modprobe virtio_rng || return 1
	# Still loaded but unbound after an SMMU unbind took the device away.
	[ -e $dev/driver ] || echo $RNG >/sys/bus/pci/drivers_probe
	features=$(cat $dev/virtio*/features)
	echo "$RNG: virtio features $features"
	[ "$(echo "$features" | cut -c34)" = 1 ] || return 1
	iommu=$(basename "$(readlink -f $dev/iommu)")
	domain=$(cat $dev/iommu_group/type)
	driver=$(basename "$(readlink $dev/driver)")
	hwrng=$(cat /sys/class/misc/hw_random/rng_current)
	echo "$RNG: iommu $iommu, driver $driver, domain $domain, hwrng $hwrng"
	case $iommu in smmu_rs.*) ;; *) return 1 ;; esac
	[ "$domain" = identity ] && [ "$driver" = virtio-pci ] || return 1
	case $hwrng in virtio_rng.*) ;; *) return 1 ;; esac
	bytes=$(timeout 10 dd if=/dev/hwrng bs=256 count=1 2>/dev/null | od -An -tx1 | tr -d ' \n')
	echo "read from /dev/hwrng: ${bytes%"${bytes#????????????????}"}... (${#bytes} hex digits)"
	[ ${#bytes} = 512 ] && [ -n "$(echo "$bytes" | tr -d 0)" ] || return 1
	! dmesg | grep -q "smmu_rs .*sid 0x18 "
}
host_driver_unloads() {
	rmmod virtio_rng && rmmod virtio_pci && ! [ -e /sys/bus/pci/devices/$RNG/driver ]
}
# With no domain left, unbinding frees the stream table and queues too.
unbind() {
	local before after
	before=$(cat $DEBUGFS/dma_bytes)
	echo "$SMMU_DEV" >/sys/bus/platform/drivers/smmu_rs/unbind || return 1
	after=$(cat $DEBUGFS/dma_bytes)
	echo "groups $(groups); DMA memory $before bytes before, $after after"
	[ "$(groups)" = 0 ] && [ "$before" -gt 0 ] && [ "$after" = 0 ]
}
reload() {
	insmod /guest/smmu_rs.ko && sleep 0.2 && [ "$(groups)" = "$GROUPS_AT_START" ] &&
		edu_behind_smmu_rs
}

tap_plan 14
tap_check "smmu_rs bound $SMMU_DEV and registered it with the IOMMU core" \
	sh -c "[ -n '$SMMU_DEV' ] && ls -d /sys/class/iommu/smmu_rs.*"
tap_check "all four edu functions sit in IOMMU groups of smmu_rs" edu_behind_smmu_rs
tap_check "every default domain is identity (bypass)" all_identity
tap_check "the event queue logged the DMA to an unmapped IOVA (sid, iova, reason)" fault_logged
tap_check "no stage-2 domain or table page outlives the suites (debugfs)" nothing_left
tap_check "a host driver (virtio-rng) works behind smmu_rs: DMA in bypass, no fault" \
	host_driver_works
echo "$tap_last_out" | sed 's/^/# /'
tap_check "rmmod is refused while devices are probed" sh -c '! rmmod smmu_rs 2>/dev/null'
tap_check "the host driver unloads" host_driver_unloads
tap_check "unbinding the SMMU releases every device and frees its DMA memory" unbind
echo "$tap_last_out" | sed 's/^/# /'
tap_check "rmmod smmu_rs" rmmod smmu_rs
tap_check "reload: smmu_rs binds again and the devices return" reload
tap_check "after reload the host driver works again" host_driver_works
tap_check "after reload iommufd_rs loads" load_iommufd_rs
# Reloaded without assume_canwbs: QEMU has neither S2FWB nor CANWBS.
tap_check "without assume_canwbs, smmu_rs refuses vIOMMUs (-EOPNOTSUPP) and says why" sh -c \
	'/guest/bin/nested_test >/tmp/nested_refused.log 2>&1 &&
	 grep -q "nesting refused, as it must be" /tmp/nested_refused.log &&
	 dmesg | grep -q "no vIOMMU: nesting needs a way to keep"'
[ $tap_failed = 0 ] || exit 1

# Unbind again, now under users: a file holding edu on a stage-2 domain and
# the host driver on the virtio-rng. The C test unbinds and unloads smmu_rs.
/guest/bin/smmu_rs_unbind || exit 1
tap_plan 3
tap_check "reload after an unbind under users" reload
tap_check "the host driver works again" host_driver_works
tap_check "and unloads" host_driver_unloads
[ $tap_failed = 0 ] || exit 1
# Unbind the SMMU under threads mapping and unmapping on a domain a file
# holds, round after round; it rebinds the SMMU each time.
/guest/bin/smmu_rs_unbind_race || exit 1
/guest/bin/edu_dma_test || exit 1
/guest/bin/edu_msi_test || exit 1
rmmod iommufd_rs || exit 1
tap_plan 1
tap_check "after the suites again, no domain or table page is left" nothing_left
[ $tap_failed = 0 ]
