// SPDX-License-Identifier: GPL-2.0

//! A function's node, `/dev/iommufd_rs/<PCI address>`, speaking VFIO's
//! device UAPI in cdev mode (Linux 7.3 `drivers/vfio/vfio_main.c`,
//! `device_cdev.c`, `pci/vfio_pci_core.c`), so that a VMM that assigns
//! devices through VFIO's cdev and iommufd (QEMU's `-device
//! vfio-pci,iommufd=...,fd=...`) can assign a function through this
//! module's `/dev/iommu`.
//!
//! Each open of the node is a [`FunctionNode`]. Until it is bound, only
//! `VFIO_DEVICE_BIND_IOMMUFD` is accepted (everything else, reads and
//! writes included, is `-EINVAL`, as upstream's gate). The bind takes a
//! `/dev/iommu` file of this module (`-EBADFD` for any other file), holds
//! it, claims the function for it as IOMMU_DEVICE_BIND_FD would (the two
//! exclude each other: the second is `-EBUSY`) and publishes a device
//! object in it, whose id is the answer. That object belongs to the node:
//! IOMMU_DESTROY of it is `-EBUSY`, and closing the node detaches and
//! removes it and gives the function back. `ATTACH`/`DETACH_IOMMUFD_PT`
//! are IOMMU_DEVICE_ATTACH/DETACH on it.
//!
//! The device side is an edu-class PCI function's: region info for the
//! BARs and config space (no ROM, no VGA), config space through
//! [`VirtConfig`]'s rules, BAR reads and writes as single naturally aligned
//! accesses of 1, 2, 4 or 8 bytes, BAR `mmap` revoked when the function
//! leaves (`mmio_vma.rs`), MSI through `SET_IRQS` onto the device object's vectors, the
//! error and request interrupts as eventfds that are accepted (and can be
//! loop-tested) but never signalled, no INTx (its pin reads 0), no reset
//! (`VFIO_DEVICE_RESET` is `-EINVAL`, as upstream's for a function without
//! a reset method; the hot-reset, feature and ioeventfd ioctls `-ENOTTY`).
//!
//! Locking: a node's `state` mutex is taken before anything the device
//! object or the function takes; a function's hardware is reached only in
//! its `live` section (`Function::with_live_pci`), so after an
//! administrator unbinds it every access is `-ENODEV`.

use crate::{
    device::{
        self,
        DeviceObject, //
    },
    file::{
        IommufdFile,
        IOMMU_FOPS, //
    },
    kernel_ext::{
        chrdev::NodeObject,
        eventfd::EventFd,
        misc_file::MiscFileRef,
        mmio_vma::{
            self,
            MmioPages, //
        },
        pci_function::PciFunctionExt, //
    },
    object::Object,
    pci::{
        self,
        BoundDevice,
        Function, //
    },
    ucmd::UserCmd,
    vconfig::{
        ConfigHw,
        VirtConfig, //
    },
    vfio_uapi as vfio, //
};
use core::sync::atomic::{
    AtomicBool,
    Ordering, //
};
use kernel::{
    alloc::KVVec,
    mm::virt::{
        flags as vm_flags,
        VmaNew, //
    },
    new_mutex,
    page::{
        PAGE_SHIFT,
        PAGE_SIZE, //
    },
    prelude::*,
    sync::{
        Arc,
        Mutex, //
    },
    transmute::{
        AsBytes,
        FromBytes, //
    },
    uaccess::{
        UserPtr,
        UserSlice,
        UserSliceReader,
        UserSliceWriter, //
    },
};

/// The most one read or write moves (a BAR's worth for edu); longer ones
/// are cut short, as a `read()` may be.
const MAX_ACCESS: usize = 1 << 20;

/// What a bound node holds.
struct Binding {
    /// The `/dev/iommu` file the function is bound to.
    iommufd: MiscFileRef<IommufdFile>,
    /// The device object published in it.
    dev: Arc<DeviceObject>,
    /// The config space the user sees.
    config: VirtConfig,
    /// The eventfds of the MSI vectors in force, for loopback triggers.
    msi: KVec<EventFd>,
    /// The error and request interrupts' eventfds (never signalled).
    err: Option<EventFd>,
    req: Option<EventFd>,
}

/// One open of a function's node.
#[pin_data(PinnedDrop)]
pub(crate) struct FunctionNode {
    func: Arc<Function>,
    #[pin]
    state: Mutex<Option<Binding>>,
    /// `state` holds a binding (set once, after the bind): for the mmap
    /// handler, which runs under the mmap lock and so may not take `state`
    /// (the ioctls copy from and to user memory with `state` held).
    bound: AtomicBool,
}

impl NodeObject for FunctionNode {
    type OwnerModule = crate::IommufdRsModule;

    /// Opening a function's node: its function, unbound.
    fn open(index: u32) -> Result<Arc<Self>> {
        let func = pci::function_of_node(index)?;
        Arc::pin_init(
            pin_init!(Self {
                func,
                state <- new_mutex!(None),
                bound: AtomicBool::new(false),
            }),
            GFP_KERNEL_ACCOUNT,
        )
    }

    fn ioctl(&self, cmd: u32, arg: usize) -> Result<isize> {
        if cmd == vfio::DEVICE_BIND_IOMMUFD {
            return self.bind(arg).map(|()| 0);
        }
        let mut st = self.state.lock();
        let b = Option::as_mut(&mut *st).ok_or(EINVAL)?;
        match cmd {
            vfio::DEVICE_ATTACH_IOMMUFD_PT => self.attach(b, arg),
            vfio::DEVICE_DETACH_IOMMUFD_PT => self.detach(b, arg),
            vfio::DEVICE_GET_INFO => self.info(arg),
            vfio::DEVICE_GET_REGION_INFO => self.region_info(arg),
            vfio::DEVICE_GET_IRQ_INFO => self.irq_info(arg),
            vfio::DEVICE_SET_IRQS => self.set_irqs(b, arg),
            // No reset method (as upstream without `reset_works`).
            vfio::DEVICE_RESET => Err(EINVAL),
            _ => Err(ENOTTY),
        }
        .map(|()| 0)
    }

    fn read(&self, out: UserSliceWriter, pos: u64) -> Result<usize> {
        let len = out.len().min(MAX_ACCESS);
        let mut buf = KVVec::from_elem(0u8, len, GFP_KERNEL)?;
        let n = {
            let mut st = self.state.lock();
            let b = Option::as_mut(&mut *st).ok_or(EINVAL)?;
            self.access(b, pos, &mut buf, false)?
        };
        // Written with the node unlocked: see `write`.
        let mut out = out;
        out.write_slice(&buf[..n])?;
        Ok(n)
    }

    fn write(&self, data: UserSliceReader, pos: u64) -> Result<usize> {
        // The user's buffer is read before the node is locked: a fault on
        // it takes the mmap lock, under which a BAR fault runs.
        let len = data.len().min(MAX_ACCESS);
        let mut buf = KVVec::from_elem(0u8, len, GFP_KERNEL)?;
        let mut data = data;
        data.read_slice(&mut buf)?;
        // A longer write is cut short here, as a read is.
        let mut st = self.state.lock();
        let b = Option::as_mut(&mut *st).ok_or(EINVAL)?;
        self.access(b, pos, &mut buf, true)
    }

    /// A BAR mapped shared, as `vfio_pci_core_mmap()`: a memory BAR of at
    /// least a page, within its page-rounded length; pages are inserted at
    /// fault time (uncached) and zapped when the function goes back or
    /// leaves the driver, after which an access gets `SIGBUS`.
    fn mmap(&self, vma: &VmaNew) -> Result {
        if !self.bound.load(Ordering::Acquire) {
            return Err(EINVAL);
        }
        if vma.flags() & vm_flags::SHARED == 0 {
            return Err(EINVAL);
        }
        let pgoff = mmio_vma::pgoff(vma);
        let index = pgoff >> (vfio::PCI_OFFSET_SHIFT as usize - PAGE_SHIFT);
        let bar = u8::try_from(index).ok().filter(|b| *b <= 5).ok_or(EINVAL)?;
        let first = (pgoff << PAGE_SHIFT) as u64 & ((1u64 << vfio::PCI_OFFSET_SHIFT) - 1);
        let len = (vma.end() - vma.start()) as u64;
        self.func.with_live_pci(|p| {
            let bar_len = bar_len(p, u32::from(bar));
            if !p.bar_is_memory(bar) || bar_len < PAGE_SIZE as u64 {
                return Err(EINVAL);
            }
            let phys_len = bar_len.next_multiple_of(PAGE_SIZE as u64);
            if first.checked_add(len).is_none_or(|end| end > phys_len) {
                return Err(EINVAL);
            }
            Ok(())
        })?;
        // The region is the driver's, as for pread/pwrite.
        self.func.with_bar(bar, |_| Ok(()))?;
        self.func.add_mapping(vma)?;
        // SAFETY: this node lives as long as the VMA: the VMA holds its
        // file, whose private data it is.
        unsafe { mmio_vma::setup(vma, self) };
        Ok(())
    }
}

impl MmioPages for FunctionNode {
    /// The page frame of page `pgoff` of a BAR mapping: `None` once the
    /// function left the driver (or a page beyond its BAR).
    fn pfn(&self, pgoff: u64) -> Option<u64> {
        let bar = pgoff >> (vfio::PCI_OFFSET_SHIFT as usize - PAGE_SHIFT);
        let page = pgoff & ((1u64 << (vfio::PCI_OFFSET_SHIFT as usize - PAGE_SHIFT)) - 1);
        self.func
            .with_live_pci(|p| {
                let bar = u32::try_from(bar).map_err(|_| EINVAL)?;
                let start = p.resource_start(bar)?;
                let len = bar_len(p, bar);
                if page << PAGE_SHIFT >= len {
                    return Err(EINVAL);
                }
                Ok((start >> PAGE_SHIFT) + page)
            })
            .ok()
    }
}

/// The function's config space, for [`VirtConfig`] (called in `live`).
struct Hw<'a>(&'a kernel::pci::Device);

impl ConfigHw for Hw<'_> {
    fn read_byte(&self, off: u16) -> u8 {
        self.0.config_read_byte(off)
    }

    fn write_byte(&self, off: u16, val: u8) {
        self.0.config_write_byte(off, val)
    }
}

/// Reads the `min` leading bytes of a VFIO struct at `arg` (the rest of
/// `T` zero): `EFAULT`, or `EINVAL` if its `argsz` (the first field) is
/// below `min`.
fn read_min<T: FromBytes + AsBytes + Default>(arg: usize, min: usize) -> Result<T> {
    let mut v = T::default();
    let bytes = v.as_bytes_mut().get_mut(..min).ok_or(EINVAL)?;
    UserSlice::new(UserPtr::from_addr(arg), min)
        .reader()
        .read_slice(bytes)?;
    let argsz = u32::from_le_bytes(v.as_bytes()[..4].try_into().map_err(|_| EINVAL)?);
    if (argsz as usize) < min {
        return Err(EINVAL);
    }
    Ok(v)
}

/// Writes the `len` leading bytes of `v` back to `arg`.
fn write_back<T: AsBytes>(arg: usize, v: &T, len: usize) -> Result {
    let bytes = v.as_bytes().get(..len).ok_or(EINVAL)?;
    UserSlice::new(UserPtr::from_addr(arg), len)
        .writer()
        .write_slice(bytes)
}

/// A BAR's length (0 if not implemented).
fn bar_len(pdev: &kernel::pci::Device, bar: u32) -> u64 {
    pdev.resource_len(bar).unwrap_or(0)
}

impl FunctionNode {
    /// The function of this node.
    pub(crate) fn function(&self) -> &Arc<Function> {
        &self.func
    }

    /// VFIO_DEVICE_BIND_IOMMUFD, in upstream's order: `argsz` and the
    /// struct (`copy_struct_from_user()`), flags and the descriptor, a
    /// second bind of this open (`-EINVAL`), the file (`-EBADF`,
    /// `-EBADFD`), then the function's claim.
    fn bind(&self, arg: usize) -> Result {
        let ucmd = UserCmd::new(arg)?;
        let cmd: vfio::BindIommufd = ucmd.read(16)?;
        if cmd.iommufd < 0 || cmd.flags & !vfio::BIND_FLAG_TOKEN != 0 {
            return Err(EINVAL);
        }
        let mut st = self.state.lock();
        if st.is_some() {
            return Err(EINVAL);
        }
        // No VF token applies to these functions (upstream answers the
        // same for a device that takes none).
        if cmd.flags & vfio::BIND_FLAG_TOKEN != 0 {
            return Err(EINVAL);
        }
        let iommufd = MiscFileRef::<IommufdFile>::from_fd(cmd.iommufd, &IOMMU_FOPS)?;
        let f = iommufd.get();
        let pci = BoundDevice::bind_node(&self.func, f.owner_cookie())?;
        let config = self.func.with_live_pci(|p| {
            let lens = [0, 1, 2, 3, 4, 5].map(|i| bar_len(p, i));
            Ok(VirtConfig::new(&Hw(p), lens, p.msi_cap()))
        })?;
        let dev = DeviceObject::new(pci, true)?;
        f.publish(Object::Device(dev.clone()), |id| {
            write_back(arg + 12, &id, 4)
        })?;
        *st = Some(Binding {
            iommufd,
            dev,
            config,
            msi: KVec::new(),
            err: None,
            req: None,
        });
        self.bound.store(true, Ordering::Release);
        Ok(())
    }

    /// VFIO_DEVICE_ATTACH_IOMMUFD_PT: attach (or move) to an IOAS or HWPT
    /// of the bound file; `pt_id` answers the HWPT.
    fn attach(&self, b: &mut Binding, arg: usize) -> Result {
        let cmd: vfio::AttachIommufdPt = read_min(arg, 12)?;
        if cmd.flags & !vfio::ATTACH_PASID != 0 {
            return Err(EINVAL);
        }
        if cmd.flags & vfio::ATTACH_PASID != 0 {
            return Err(EOPNOTSUPP);
        }
        device::attach_pt(b.iommufd.get(), &b.dev, cmd.pt_id, |id| {
            write_back(arg + 8, &id, 4)
        })?;
        // The vectors were made again in the new domain with the same
        // eventfds, or freed if that failed.
        Ok(())
    }

    /// VFIO_DEVICE_DETACH_IOMMUFD_PT: back to blocking DMA; MSI vectors go
    /// with the domain. A detached device stays detached (no error, as
    /// upstream).
    fn detach(&self, b: &mut Binding, arg: usize) -> Result {
        let cmd: vfio::DetachIommufdPt = read_min(arg, 8)?;
        if cmd.flags & !vfio::ATTACH_PASID != 0 {
            return Err(EINVAL);
        }
        if cmd.flags & vfio::ATTACH_PASID != 0 {
            return Err(EOPNOTSUPP);
        }
        match device::detach_and_drop(b.iommufd.get(), &b.dev) {
            Err(e) if e == EINVAL => {}
            r => r?,
        }
        b.msi.clear();
        Ok(())
    }

    /// VFIO_DEVICE_GET_INFO: a PCI device with upstream's region and
    /// interrupt index counts.
    fn info(&self, arg: usize) -> Result {
        let mut info: vfio::DeviceInfo = read_min(arg, 16)?;
        info.flags = vfio::DEVICE_FLAGS_PCI;
        info.num_regions = vfio::PCI_NUM_REGIONS;
        info.num_irqs = vfio::PCI_NUM_IRQS;
        let len = (info.argsz as usize).min(core::mem::size_of::<vfio::DeviceInfo>());
        info.cap_offset = 0;
        write_back(arg, &info, len)
    }

    /// VFIO_DEVICE_GET_REGION_INFO: BARs (read and write, and mmap for a
    /// memory BAR of a page or more), the config space; the ROM is empty; VGA and beyond are `-EINVAL`.
    fn region_info(&self, arg: usize) -> Result {
        let mut info: vfio::RegionInfo = read_min(arg, 32)?;
        let rw = vfio::REGION_INFO_FLAG_READ | vfio::REGION_INFO_FLAG_WRITE;
        let (size, flags) = match info.index {
            i @ 0..=5 => {
                let (len, mem) = self
                    .func
                    .with_live_pci(|p| Ok((bar_len(p, i), p.bar_is_memory(i as u8))))?;
                let mmap = if mem && len >= PAGE_SIZE as u64 {
                    vfio::REGION_INFO_FLAG_MMAP
                } else {
                    0
                };
                (len, if len != 0 { rw | mmap } else { 0 })
            }
            vfio::PCI_ROM_REGION_INDEX => (0, 0),
            vfio::PCI_CONFIG_REGION_INDEX => {
                let size = self.func.with_live_pci(|p| Ok(p.config_size()))?;
                (u64::from(size), rw)
            }
            _ => return Err(EINVAL),
        };
        info.size = size;
        info.flags = flags;
        info.cap_offset = 0;
        info.offset = u64::from(info.index) << vfio::PCI_OFFSET_SHIFT;
        write_back(arg, &info, 32)
    }

    /// How many interrupts index `index` has: upstream's
    /// `vfio_pci_get_irq_count()`, with INTx hidden (its pin reads 0).
    fn irq_count(&self, index: u32) -> Result<u32> {
        Ok(match index {
            vfio::PCI_MSI_IRQ_INDEX => self.func.with_live_pci(|p| {
                let cap = u16::from(p.msi_cap());
                if cap == 0 {
                    return Ok(0);
                }
                let flags = p.config_read_byte(cap + 2);
                Ok(1 << ((flags & 0xe) >> 1))
            })?,
            vfio::PCI_ERR_IRQ_INDEX | vfio::PCI_REQ_IRQ_INDEX => 1,
            _ => 0,
        })
    }

    /// VFIO_DEVICE_GET_IRQ_INFO.
    fn irq_info(&self, arg: usize) -> Result {
        let mut info: vfio::IrqInfo = read_min(arg, 16)?;
        if info.index >= vfio::PCI_NUM_IRQS {
            return Err(EINVAL);
        }
        info.flags = vfio::IRQ_INFO_EVENTFD;
        info.count = self.irq_count(info.index)?;
        if info.index == vfio::PCI_INTX_IRQ_INDEX {
            info.flags |= vfio::IRQ_INFO_MASKABLE | vfio::IRQ_INFO_AUTOMASKED;
        } else {
            info.flags |= vfio::IRQ_INFO_NORESIZE;
        }
        write_back(arg, &info, 16)
    }

    /// VFIO_DEVICE_SET_IRQS: upstream's validation
    /// (`vfio_set_irqs_validate_and_prepare()`), then MSI triggers onto
    /// the device object's vectors and the single error and request
    /// triggers. MSI vectors are set as a whole block from vector 0
    /// (`-EINVAL` for another start); eventfds of a block in force are
    /// changed by making the vectors again.
    fn set_irqs(&self, b: &mut Binding, arg: usize) -> Result {
        let hdr: vfio::IrqSet = read_min(arg, 20)?;
        let max = self.irq_count(hdr.index)?;
        let data_type = hdr.flags & vfio::IRQ_SET_DATA_TYPE_MASK;
        let action = hdr.flags & vfio::IRQ_SET_ACTION_TYPE_MASK;
        if hdr.index >= vfio::PCI_NUM_IRQS
            || hdr.count >= u32::MAX - hdr.start
            || hdr.flags & !(vfio::IRQ_SET_DATA_TYPE_MASK | vfio::IRQ_SET_ACTION_TYPE_MASK) != 0
        {
            return Err(EINVAL);
        }
        if hdr.start >= max || hdr.start + hdr.count > max {
            return Err(EINVAL);
        }
        let size = match data_type {
            vfio::IRQ_SET_DATA_NONE => 0,
            vfio::IRQ_SET_DATA_BOOL => 1,
            vfio::IRQ_SET_DATA_EVENTFD => 4,
            _ => return Err(EINVAL),
        };
        let data_len = hdr.count as usize * size;
        if (hdr.argsz as usize).saturating_sub(20) < data_len {
            return Err(EINVAL);
        }
        let mut data = KVVec::from_elem(0u8, data_len, GFP_KERNEL)?;
        UserSlice::new(UserPtr::from_addr(arg + 20), data_len)
            .reader()
            .read_slice(&mut data)?;
        let fd_at = |i: usize| {
            i32::from_ne_bytes([
                data[4 * i],
                data[4 * i + 1],
                data[4 * i + 2],
                data[4 * i + 3],
            ])
        };
        if action != vfio::IRQ_SET_ACTION_TRIGGER {
            return Err(ENOTTY);
        }
        match hdr.index {
            vfio::PCI_MSI_IRQ_INDEX => {
                let enabled = !b.msi.is_empty();
                if data_type == vfio::IRQ_SET_DATA_EVENTFD {
                    if hdr.start != 0 {
                        return Err(EINVAL);
                    }
                    let n = hdr.count as usize;
                    let mut fds = KVec::with_capacity(n, GFP_KERNEL)?;
                    let mut ctxs = KVec::with_capacity(n, GFP_KERNEL)?;
                    for i in 0..n {
                        fds.push(fd_at(i), GFP_KERNEL)?;
                        ctxs.push(EventFd::from_fd(fd_at(i))?, GFP_KERNEL)?;
                    }
                    // On failure the old vectors may be gone too: none are
                    // counted as in force.
                    let set = b.dev.set_irqs(&fds);
                    b.msi = if set.is_ok() { ctxs } else { KVec::new() };
                    return set;
                }
                if !enabled {
                    return Err(EINVAL);
                }
                if hdr.count == 0 && data_type == vfio::IRQ_SET_DATA_NONE {
                    b.dev.set_irqs(&[])?;
                    b.msi.clear();
                    return Ok(());
                }
                // Loopback: signal the vectors' eventfds.
                for i in 0..hdr.count as usize {
                    let fire = data_type == vfio::IRQ_SET_DATA_NONE || data[i] != 0;
                    if let (true, Some(e)) = (fire, b.msi.get(hdr.start as usize + i)) {
                        e.signal();
                    }
                }
                Ok(())
            }
            vfio::PCI_ERR_IRQ_INDEX | vfio::PCI_REQ_IRQ_INDEX => {
                let slot = if hdr.index == vfio::PCI_ERR_IRQ_INDEX {
                    &mut b.err
                } else {
                    &mut b.req
                };
                // vfio_pci_set_ctx_trigger_single().
                match data_type {
                    vfio::IRQ_SET_DATA_NONE => {
                        if let Some(e) = slot.as_ref() {
                            if hdr.count != 0 {
                                e.signal();
                            } else {
                                *slot = None;
                            }
                            return Ok(());
                        }
                        Err(EINVAL)
                    }
                    vfio::IRQ_SET_DATA_BOOL => {
                        if hdr.count == 0 {
                            return Err(EINVAL);
                        }
                        if let (true, Some(e)) = (data[0] != 0, slot.as_ref()) {
                            e.signal();
                        }
                        Ok(())
                    }
                    _ => {
                        if hdr.count == 0 {
                            return Err(EINVAL);
                        }
                        match fd_at(0) {
                            -1 => *slot = None,
                            fd if fd >= 0 => *slot = Some(EventFd::from_fd(fd)?),
                            _ => {}
                        }
                        Ok(())
                    }
                }
            }
            // INTx and MSI-X have no interrupts here, so the range check
            // above refused them.
            _ => Err(EINVAL),
        }
    }

    /// A read or write of `buf` at `pos` in the device file: the config
    /// space (`-EFAULT` beyond it, as upstream) or a BAR (`-EINVAL` at or
    /// beyond its end; cut short at it). Returns the bytes moved.
    fn access(&self, b: &mut Binding, pos: u64, buf: &mut [u8], write: bool) -> Result<usize> {
        let index = pos >> vfio::PCI_OFFSET_SHIFT;
        let off = pos & ((1u64 << vfio::PCI_OFFSET_SHIFT) - 1);
        match index {
            i if i == u64::from(vfio::PCI_CONFIG_REGION_INDEX) => self.func.with_live_pci(|p| {
                let size = u64::from(p.config_size());
                let end = off.checked_add(buf.len() as u64).ok_or(EFAULT)?;
                if off >= size || end > size {
                    return Err(EFAULT);
                }
                let hw = Hw(p);
                if write {
                    b.config.write(&hw, off as usize, buf);
                } else {
                    b.config.read(&hw, off as usize, buf);
                }
                Ok(buf.len())
            }),
            0..=5 => {
                let bar = index as u8;
                self.func.with_bar(bar, |m| {
                    if off >= m.len() {
                        return Err(EINVAL);
                    }
                    let n = (buf.len() as u64).min(m.len() - off) as usize;
                    let mut done = 0;
                    while done < n {
                        let at = off + done as u64;
                        let left = n - done;
                        let w = [8usize, 4, 2, 1]
                            .into_iter()
                            .find(|&w| left >= w && at % w as u64 == 0)
                            .unwrap_or(1);
                        let chunk = &mut buf[done..done + w];
                        if write {
                            let mut v = [0u8; 8];
                            v[..w].copy_from_slice(chunk);
                            m.write(at, w, u64::from_le_bytes(v))?;
                        } else {
                            let v = m.read(at, w)?.to_le_bytes();
                            chunk.copy_from_slice(&v[..w]);
                        }
                        done += w;
                    }
                    Ok(n)
                })
            }
            _ => Err(EINVAL),
        }
    }
}

#[pinned_drop]
impl PinnedDrop for FunctionNode {
    /// Closing a bound node unbinds: the device object is detached and
    /// removed from its file (the function goes back), then the file's
    /// reference is dropped.
    fn drop(self: Pin<&mut Self>) {
        let binding = self.state.lock().take();
        if let Some(b) = binding {
            let Binding {
                iommufd, dev, msi, ..
            } = b;
            drop(msi);
            iommufd.get().remove_node_device(&dev);
            drop(dev);
            drop(iommufd);
        }
    }
}
