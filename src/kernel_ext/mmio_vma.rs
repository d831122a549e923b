// SPDX-License-Identifier: GPL-2.0

//! VMAs of device memory, as vfio-pci maps a BAR into a user's address
//! space: set up by an mmap handler, their pages inserted one at a time by
//! a fault handler (`vmf_insert_pfn()`) that asks the driver each time, so
//! that a device gone answers `SIGBUS`; and the file mappings those VMAs
//! hang off, through which every page inserted so far can be zapped
//! (`unmap_mapping_range()`) when the device goes.
//!
//! Inserting at fault time rather than in the mmap handler matters: an
//! mmap handler runs before its VMA is linked into the file's mapping, so a
//! zap at that moment would miss pages it had inserted.
//!
//! 7.3's kernel crate has `VmaNew` for mmap handlers, but no way to make a
//! VMA `VM_PFNMAP` or uncached, nor fault handlers: the flags and the
//! protection are one C shim (`iommufd_rs_vma_mmio()` in
//! `src/iommufd/helpers.c`: `vm_flags_set()` is a static inline,
//! `pgprot_noncached()` a macro).
//!
//! C headers: [`include/linux/mm.h`](srctree/include/linux/mm.h)

use core::{
    marker::PhantomData,
    ptr::NonNull, //
};
use kernel::{
    bindings,
    mm::virt::VmaNew,
    page::PAGE_SHIFT,
    prelude::*, //
};

extern "C" {
    /// `struct vm_area_struct *`, as a `void *`: the struct's bindgen form
    /// is not FFI-safe for an `extern` block's lint.
    fn iommufd_rs_vma_mmio(vma: *mut core::ffi::c_void);
}

/// What answers the faults of a device-memory VMA.
pub(crate) trait MmioPages: Sync + Sized + 'static {
    /// The page frame of page `pgoff` of the file (the VMA's offset in
    /// pages plus the page's place in it), or `None`: the access gets
    /// `SIGBUS`.
    fn pfn(&self, pgoff: u64) -> Option<u64>;
}

/// The operations of device-memory VMAs answered by a `T`.
struct Ops<T>(PhantomData<T>);

impl<T: MmioPages> Ops<T> {
    const OPS: bindings::vm_operations_struct = bindings::vm_operations_struct {
        fault: Some(Self::fault),
        ..pin_init::zeroed()
    };

    /// A fault in a VMA [`setup`] made: `vm_private_data` is its `T`.
    extern "C" fn fault(vmf: *mut bindings::vm_fault) -> bindings::vm_fault_t {
        // SAFETY: the fault path passes a live `vm_fault` of a live VMA with
        // its mmap lock held; `setup` made the VMA's private data a `T`
        // that lives as long as the VMA's file, which the VMA references.
        let (vma, address, obj) = unsafe {
            let vma = (*vmf).__bindgen_anon_1.vma;
            (
                vma,
                (*vmf).__bindgen_anon_1.address,
                &*(*vma).vm_private_data.cast::<T>(),
            )
        };
        // SAFETY: as above: the fault path holds the VMA's lock, so its
        // start and offset are stable.
        let (start, pgoff) = unsafe {
            (
                (*vma).__bindgen_anon_1.__bindgen_anon_1.vm_start,
                (*vma).vm_pgoff,
            )
        };
        let page = (address - start) >> PAGE_SHIFT;
        match obj.pfn(pgoff as u64 + page as u64) {
            Some(pfn) => match usize::try_from(pfn) {
                // SAFETY: a `VM_PFNMAP` VMA (`setup`), its lock held, an
                // address inside it.
                Ok(pfn) => unsafe { bindings::vmf_insert_pfn(vma, address, pfn) },
                Err(_) => bindings::vm_fault_reason_VM_FAULT_SIGBUS,
            },
            None => bindings::vm_fault_reason_VM_FAULT_SIGBUS,
        }
    }
}

/// The offset of `vma` in its file, in pages (`vm_pgoff`).
pub(crate) fn pgoff(vma: &VmaNew) -> usize {
    // SAFETY: a VMA in its setup, not yet visible to anyone else; the
    // offset is set before the mmap handler runs.
    unsafe { (*vma.as_ptr()).vm_pgoff }
}

/// Makes `vma`, in its mmap handler, a VMA of uncached device memory whose
/// pages `obj` gives at fault time.
///
/// # Safety
///
/// `obj` lives as long as the VMA: it is owned by the VMA's file (whose
/// reference the VMA holds until it goes).
pub(crate) unsafe fn setup<T: MmioPages>(vma: &VmaNew, obj: &T) {
    let raw = vma.as_ptr();
    // SAFETY: a VMA in its initial setup (`VmaNew`), not yet visible to
    // anyone else; the operations are a static.
    unsafe {
        iommufd_rs_vma_mmio(raw.cast());
        (*raw).vm_ops = &Ops::<T>::OPS;
        (*raw).vm_private_data = core::ptr::from_ref(obj).cast_mut().cast();
    }
}

/// The files' mappings (their inodes, referenced) that device-memory VMAs
/// of one device hang off: usually one, the device node's.
#[derive(Default)]
pub(crate) struct FileMappings {
    inodes: KVec<NonNull<bindings::inode>>,
}

// SAFETY: inode references may be taken and put from any task.
unsafe impl Send for FileMappings {}
// SAFETY: `&self` only zaps, which takes the mapping's own locks.
unsafe impl Sync for FileMappings {}

impl FileMappings {
    /// Records the mapping of `vma`'s file, in its mmap handler.
    pub(crate) fn add(&mut self, vma: &VmaNew) -> Result {
        // SAFETY: a VMA in setup has its file (referenced) and the file its
        // mapping, whose host is the file's inode.
        let inode = unsafe { (*(*(*vma.as_ptr()).vm_file).f_mapping).host };
        let inode = NonNull::new(inode).ok_or(EINVAL)?;
        if self.inodes.contains(&inode) {
            return Ok(());
        }
        self.inodes.reserve(1, GFP_KERNEL)?;
        // SAFETY: a live inode (the file's); the reference is put on drop.
        unsafe { bindings::ihold(inode.as_ptr()) };
        self.inodes.push(inode, GFP_KERNEL)?;
        Ok(())
    }

    /// Zaps every page inserted into every VMA of these mappings: a later
    /// access faults again.
    pub(crate) fn zap(&self) {
        for inode in self.inodes.iter() {
            // SAFETY: a referenced inode; 0, 0 is the whole file, 1 includes
            // private copies.
            unsafe { bindings::unmap_mapping_range((*inode.as_ptr()).i_mapping, 0, 0, 1) };
        }
    }
}

impl Drop for FileMappings {
    fn drop(&mut self) {
        for inode in self.inodes.drain_all() {
            // SAFETY: the reference `add` took.
            unsafe { bindings::iput(inode.as_ptr()) };
        }
    }
}
