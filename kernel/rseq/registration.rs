// SPDX-License-Identifier: GPL-2.0

//! `sys_rseq()`: registration and unregistration of the rseq area.

use kernel::{
    prelude::*,
    rseq::{
        self,
        area,
        AbiVersion,
        Activation,
        CurrentRseq,
        Flags,
        RawUserArea,
        ORIG_RSEQ_SIZE,
        RSEQ_CPU_ID_UNINITIALIZED,
        RSEQ_CS_FLAG_SLICE_EXT_AVAILABLE,
        RSEQ_CS_FLAG_SLICE_EXT_ENABLED,
        RSEQ_FEATURE_SIZE, //
    },
    signal::{
        force_sig,
        Signal, //
    },
    uaccess::{
        access_ok,
        UserAccess,
        UserPtr, //
    },
};

/// Registration flags accepted by `sys_rseq()`.
const RSEQ_FLAGS_SUPPORTED: Flags = Flags::SLICE_EXT_DEFAULT_ON;

/// The arguments of one `sys_rseq()` call.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Request {
    /// User address of the rseq area.
    pub(crate) addr: usize,
    /// Length of the rseq area.
    pub(crate) len: u32,
    /// `RSEQ_FLAG_*` flags.
    pub(crate) flags: Flags,
    /// Abort signature.
    pub(crate) sig: u32,
}

/// The active registration of a task.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Registration {
    /// User address of the rseq area (never 0).
    pub(crate) addr: usize,
    /// Registered length.
    pub(crate) len: u32,
    /// Registered abort signature.
    pub(crate) sig: u32,
}

/// Build and runtime properties that influence registration.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Features {
    /// `CONFIG_GENERIC_IRQ_ENTRY`: registrations larger than 32 bytes use
    /// the optimized v2 ABI.
    pub(crate) generic_irq_entry: bool,
    /// `CONFIG_RSEQ_SLICE_EXTENSION` is built in and its static key is on.
    pub(crate) slice_ext: bool,
    /// `rseq_alloc_align()`.
    pub(crate) alloc_align: u32,
}

/// What `sys_rseq()` must do once the arguments are validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Drop the current registration.
    Unregister,
    /// Register a new area.
    Register {
        /// ABI version of the new registration.
        version: AbiVersion,
        /// Value to write to `struct rseq::flags`.
        rseq_flags: u32,
    },
}

/// Whether `len` and the alignment of `addr` are acceptable for a new
/// registration (`rseq_length_valid()`).
pub(crate) fn length_valid(addr: usize, len: u32, alloc_align: u32) -> bool {
    if len < ORIG_RSEQ_SIZE {
        return false;
    }
    if len == ORIG_RSEQ_SIZE {
        return addr % (ORIG_RSEQ_SIZE as usize) == 0;
    }
    addr % (alloc_align as usize) == 0 && len >= RSEQ_FEATURE_SIZE
}

/// Validates a `sys_rseq()` call against the current registration.
///
/// The checks run in the order of the C implementation, so the same errno is
/// returned for every combination of invalid arguments. The `access_ok()`
/// check and the user space writes are left to the caller.
pub(crate) fn decide(req: &Request, cur: Option<Registration>, feat: &Features) -> Result<Action> {
    if req.flags.contains(Flags::UNREGISTER) {
        if !req.flags.without(Flags::UNREGISTER).is_empty() {
            return Err(EINVAL);
        }
        let cur = match cur {
            Some(cur) if cur.addr == req.addr => cur,
            _ => return Err(EINVAL),
        };
        if req.len != cur.len {
            return Err(EINVAL);
        }
        if req.sig != cur.sig {
            return Err(EPERM);
        }
        return Ok(Action::Unregister);
    }

    if !req.flags.without(RSEQ_FLAGS_SUPPORTED).is_empty() {
        return Err(EINVAL);
    }

    if let Some(cur) = cur {
        if cur.addr != req.addr || cur.len != req.len {
            return Err(EINVAL);
        }
        if cur.sig != req.sig {
            return Err(EPERM);
        }
        return Err(EBUSY);
    }

    if !length_valid(req.addr, req.len, feat.alloc_align) {
        return Err(EINVAL);
    }

    let version = if feat.generic_irq_entry && req.len > ORIG_RSEQ_SIZE {
        AbiVersion::V2
    } else {
        AbiVersion::Legacy
    };

    let mut rseq_flags = 0;
    if version == AbiVersion::V2 && feat.slice_ext {
        rseq_flags |= RSEQ_CS_FLAG_SLICE_EXT_AVAILABLE;
        if req.flags.contains(Flags::SLICE_EXT_DEFAULT_ON) {
            rseq_flags |= RSEQ_CS_FLAG_SLICE_EXT_ENABLED;
        }
    }

    Ok(Action::Register {
        version,
        rseq_flags,
    })
}

/// The registration of the current task, if any.
fn current_registration(rs: &CurrentRseq) -> Option<Registration> {
    rs.area().map(|area| Registration {
        // CAST: Compared as an address only.
        addr: area.as_const_ptr() as usize,
        len: rs.rseq_len(),
        sig: rs.sig(),
    })
}

/// The features of the running kernel.
fn features() -> Features {
    Features {
        generic_irq_entry: cfg!(CONFIG_GENERIC_IRQ_ENTRY),
        slice_ext: cfg!(CONFIG_RSEQ_SLICE_EXTENSION) && rseq::slice_extension_enabled(),
        alloc_align: rseq::alloc_align(),
    }
}

/// Size of the user space `struct rseq` that a region opens.
const AREA_SIZE: usize = size_of::<RawUserArea>();

/// Writes the unregistration values to the user area (`rseq_reset_ids()`).
///
/// `rseq_cs`, `flags` and `slice_ctrl` are left untouched.
fn reset_user_ids(area: UserPtr) -> Result {
    let ua = UserAccess::new(area, AREA_SIZE)?;
    ua.put(area::CPU_ID_START, 0u32)?;
    ua.put(area::CPU_ID, RSEQ_CPU_ID_UNINITIALIZED)?;
    ua.put(area::NODE_ID, 0u32)?;
    ua.put(area::MM_CID, 0u32)
}

/// Initializes the user area of a new registration.
///
/// A stale `rseq_cs` is cleared unconditionally: old libcs reuse areas
/// without clearing it.
fn init_user_area(area: UserPtr, version: AbiVersion, rseq_flags: u32) -> Result {
    let ua = UserAccess::new(area, AREA_SIZE)?;
    ua.put(area::CPU_ID_START, RSEQ_CPU_ID_UNINITIALIZED)?;
    ua.put(area::CPU_ID, RSEQ_CPU_ID_UNINITIALIZED)?;
    ua.put(area::RSEQ_CS, 0u64)?;
    ua.put(area::FLAGS, rseq_flags)?;
    ua.put(area::NODE_ID, 0u32)?;
    ua.put(area::MM_CID, 0u32)?;
    // The bytes past `mm_cid` belong to user space for legacy registrations.
    if version == AbiVersion::V2 && cfg!(CONFIG_RSEQ_SLICE_EXTENSION) {
        ua.put(area::SLICE_CTRL, 0u32)?;
    }
    Ok(())
}

/// Implements `sys_rseq()` for the current task.
pub(crate) fn sys_rseq(rs: &CurrentRseq, req: &Request) -> Result {
    let area = UserPtr::from_addr(req.addr);

    match decide(req, current_registration(rs), &features())? {
        Action::Unregister => {
            if reset_user_ids(area).is_err() {
                // The registration stays active; exit to user space would try
                // to update the IDs again, so terminate the task.
                force_sig(Signal::SIGSEGV);
                return Err(EFAULT);
            }
            rs.reset();
            Ok(())
        }
        Action::Register {
            version,
            rseq_flags,
        } => {
            if !access_ok(area, req.len as usize) {
                return Err(EFAULT);
            }
            init_user_area(area, version, rseq_flags)?;
            rs.activate(&Activation {
                area,
                len: req.len,
                sig: req.sig,
                version,
                slice_enabled: rseq_flags & RSEQ_CS_FLAG_SLICE_EXT_ENABLED != 0,
            });
            // Write the IDs on the way back to user space.
            rs.force_update();
            Ok(())
        }
    }
}

#[cfg(CONFIG_RSEQ_RUST_KUNIT_TEST)]
#[kunit_tests(rust_rseq_registration)]
mod tests {
    use super::*;

    const FEAT_V2: Features = Features {
        generic_irq_entry: true,
        slice_ext: true,
        alloc_align: 64,
    };
    const FEAT_LEGACY_ONLY: Features = Features {
        generic_irq_entry: false,
        slice_ext: false,
        alloc_align: 64,
    };
    const REG: Registration = Registration {
        addr: 0x1000,
        len: 32,
        sig: 0x53053053,
    };

    const RSEQ_FLAG_UNREGISTER: i32 = 1;
    const RSEQ_FLAG_SLICE_EXT_DEFAULT_ON: i32 = 2;

    fn req(addr: usize, len: u32, flags: i32, sig: u32) -> Request {
        Request {
            addr,
            len,
            flags: Flags::from_raw(flags),
            sig,
        }
    }

    #[test]
    fn flag_values() {
        assert_eq!(Flags::from_raw(RSEQ_FLAG_UNREGISTER), Flags::UNREGISTER);
        assert_eq!(
            Flags::from_raw(RSEQ_FLAG_SLICE_EXT_DEFAULT_ON),
            Flags::SLICE_EXT_DEFAULT_ON
        );
    }

    #[test]
    fn register_modes() {
        let v1 = decide(&req(0x1000, 32, 0, 1), None, &FEAT_V2);
        assert_eq!(
            v1,
            Ok(Action::Register {
                version: AbiVersion::Legacy,
                rseq_flags: 0
            })
        );
        let v2 = decide(&req(0x1000, 33, 0, 1), None, &FEAT_V2);
        assert_eq!(
            v2,
            Ok(Action::Register {
                version: AbiVersion::V2,
                rseq_flags: RSEQ_CS_FLAG_SLICE_EXT_AVAILABLE
            })
        );
        let v2on = decide(
            &req(0x1000, 1024, RSEQ_FLAG_SLICE_EXT_DEFAULT_ON, 1),
            None,
            &FEAT_V2,
        );
        assert_eq!(
            v2on,
            Ok(Action::Register {
                version: AbiVersion::V2,
                rseq_flags: RSEQ_CS_FLAG_SLICE_EXT_AVAILABLE | RSEQ_CS_FLAG_SLICE_EXT_ENABLED
            })
        );
        // DEFAULT_ON is silently ignored for legacy registrations.
        let v1on = decide(
            &req(0x1000, 32, RSEQ_FLAG_SLICE_EXT_DEFAULT_ON, 1),
            None,
            &FEAT_V2,
        );
        assert_eq!(
            v1on,
            Ok(Action::Register {
                version: AbiVersion::Legacy,
                rseq_flags: 0
            })
        );
        // Without generic IRQ entry every registration is legacy.
        let legacy = decide(&req(0x1000, 64, 0, 1), None, &FEAT_LEGACY_ONLY);
        assert_eq!(
            legacy,
            Ok(Action::Register {
                version: AbiVersion::Legacy,
                rseq_flags: 0
            })
        );
    }

    #[test]
    fn register_length_and_alignment() {
        assert_eq!(decide(&req(0, 0, 0, 0), None, &FEAT_V2), Err(EINVAL));
        assert_eq!(decide(&req(0x1000, 31, 0, 0), None, &FEAT_V2), Err(EINVAL));
        assert_eq!(decide(&req(0x1001, 32, 0, 0), None, &FEAT_V2), Err(EINVAL));
        assert!(decide(&req(0x1020, 32, 0, 0), None, &FEAT_V2).is_ok());
        assert_eq!(decide(&req(0x1020, 33, 0, 0), None, &FEAT_V2), Err(EINVAL));
        assert_eq!(decide(&req(0x1020, 64, 0, 0), None, &FEAT_V2), Err(EINVAL));
        assert!(decide(&req(0x1040, 33, 0, 0), None, &FEAT_V2).is_ok());
        assert!(decide(&req(0x1040, u32::MAX, 0, 0), None, &FEAT_V2).is_ok());
    }

    #[test]
    fn register_flags() {
        assert_eq!(decide(&req(0x1000, 32, 4, 0), None, &FEAT_V2), Err(EINVAL));
        // Negative flags take the unregister branch.
        assert_eq!(decide(&req(0x1000, 32, -1, 0), None, &FEAT_V2), Err(EINVAL));
        assert_eq!(
            decide(
                &req(0x1000, 32, RSEQ_FLAG_UNREGISTER | 2, REG.sig),
                Some(REG),
                &FEAT_V2
            ),
            Err(EINVAL)
        );
    }

    #[test]
    fn reregister() {
        let sig = REG.sig;
        assert_eq!(
            decide(&req(0x1000, 32, 0, sig), Some(REG), &FEAT_V2),
            Err(EBUSY)
        );
        assert_eq!(
            decide(&req(0x1000, 32, 0, sig + 1), Some(REG), &FEAT_V2),
            Err(EPERM)
        );
        assert_eq!(
            decide(&req(0x2000, 32, 0, sig), Some(REG), &FEAT_V2),
            Err(EINVAL)
        );
        // Re-registration is checked before the length.
        assert_eq!(
            decide(&req(0x1000, 31, 0, sig), Some(REG), &FEAT_V2),
            Err(EINVAL)
        );
        // The flag check comes before the re-registration check.
        assert_eq!(
            decide(&req(0x1000, 32, 8, sig), Some(REG), &FEAT_V2),
            Err(EINVAL)
        );
    }

    #[test]
    fn unregister() {
        let sig = REG.sig;
        let f = RSEQ_FLAG_UNREGISTER;
        assert_eq!(
            decide(&req(0x1000, 32, f, sig), Some(REG), &FEAT_V2),
            Ok(Action::Unregister)
        );
        assert_eq!(
            decide(&req(0x1000, 32, f, sig), None, &FEAT_V2),
            Err(EINVAL)
        );
        assert_eq!(decide(&req(0, 32, f, sig), None, &FEAT_V2), Err(EINVAL));
        assert_eq!(
            decide(&req(0x2000, 32, f, sig), Some(REG), &FEAT_V2),
            Err(EINVAL)
        );
        assert_eq!(
            decide(&req(0x1000, 64, f, sig), Some(REG), &FEAT_V2),
            Err(EINVAL)
        );
        assert_eq!(
            decide(&req(0x1000, 32, f, sig + 1), Some(REG), &FEAT_V2),
            Err(EPERM)
        );
    }
}
