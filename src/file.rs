// SPDX-License-Identifier: GPL-2.0

//! One open file of the device: the per-file context and the ioctl dispatch.

use crate::{
    uapi::{
        self,
        IommuDestroy, //
    },
    ucmd::UserCmd,
};
use core::mem::offset_of;
use kernel::{
    fs::File,
    ioctl::_IOC_NR,
    miscdevice::{
        MiscDevice,
        MiscDeviceRegistration, //
    },
    prelude::*,
};

/// The context of one open file: every object created through it lives and
/// dies with it.
pub(crate) struct IommufdFile {}

/// The commands this module implements, by command number.
#[derive(Clone, Copy)]
enum Command {
    Destroy,
}

impl Command {
    /// The command with number `nr`, if this module implements it.
    fn from_nr(nr: u32) -> Option<Self> {
        match nr {
            uapi::IOMMUFD_CMD_DESTROY => Some(Self::Destroy),
            _ => None,
        }
    }

    /// The full ioctl number userspace must pass for this command.
    fn ioctl_num(self) -> u32 {
        match self {
            Self::Destroy => uapi::IOMMU_DESTROY,
        }
    }
}

#[vtable]
impl MiscDevice for IommufdFile {
    type Ptr = KBox<Self>;

    fn open(_file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result<KBox<Self>> {
        Ok(KBox::new(Self {}, GFP_KERNEL)?)
    }

    fn ioctl(me: &Self, _file: &File, cmd: u32, arg: usize) -> Result<isize> {
        // Upstream's order: an unknown number is -ENOTTY before anything is
        // read; a known number reads `size` first (-EFAULT), then requires the
        // exact ioctl encoding (-ENOTTY).
        let op = Command::from_nr(_IOC_NR(cmd)).ok_or(ENOTTY)?;
        let ucmd = UserCmd::new(arg)?;
        if op.ioctl_num() != cmd {
            return Err(ENOTTY);
        }
        match op {
            Command::Destroy => {
                me.destroy(ucmd.read::<IommuDestroy>(offset_of!(IommuDestroy, id) + 4)?)?
            }
        }
        Ok(0)
    }
}

impl IommufdFile {
    /// IOMMU_DESTROY: this file owns no object kinds yet (they come with the
    /// IOAS), so every id is unknown.
    fn destroy(&self, _cmd: IommuDestroy) -> Result {
        Err(ENOENT)
    }
}
