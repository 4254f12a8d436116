// SPDX-License-Identifier: GPL-2.0

//! The run-time controls of rseq: the `rseq_debug=` and `rseq_slice_ext=`
//! boot parameters and the `rseq/debug` and `rseq/slice_ext_nsec` debugfs
//! files.
//!
//! C keeps the `__setup()` registrations and the debugfs file creation
//! (see the shims in `kernel/rseq.c`); the parsing, the validation and what
//! a value changes are here. The parsers take the bytes the C functions
//! see: a debugfs write is cut to the size of the buffer `kstrtobool_from_user()`
//! or `kstrtouint_from_user()` copies it into, and a NUL byte ends the
//! string.

use kernel::{
    prelude::*,
    rseq,
    str::kstrtobool_bytes,
    uaccess::{
        UserPtr,
        UserSlice, //
    },
};

/// Bytes of a debugfs write that `kstrtobool_from_user()` looks at.
pub(crate) const BOOL_WRITE_MAX: usize = 3;

/// Bytes of a debugfs write that `kstrtouint_from_user()` looks at: a sign,
/// 32 binary digits and a newline.
pub(crate) const UINT_WRITE_MAX: usize = 1 + 32 + 1;

/// Shortest time slice extension, in nanoseconds (5 µs).
pub(crate) const SLICE_EXT_NSECS_MIN: u32 = 5_000;

/// Longest time slice extension, in nanoseconds (50 µs).
pub(crate) const SLICE_EXT_NSECS_MAX: u32 = 50_000;

/// The string as C sees it: everything before the first NUL byte.
fn c_string(bytes: &[u8]) -> &[u8] {
    match bytes.iter().position(|&b| b == 0) {
        Some(end) => &bytes[..end],
        None => bytes,
    }
}

/// Parses a boolean as `kstrtobool()` does (`y`, `Y`, `t`, `T`, `1`, `on`
/// and their negations).
pub(crate) fn parse_bool(bytes: &[u8]) -> Result<bool> {
    kstrtobool_bytes(c_string(bytes))
}

/// Parses a decimal `u32` as `kstrtouint(s, 10, ...)` does: an optional
/// `+`, at least one digit, an optional trailing newline and nothing else.
///
/// Returns `ERANGE` for a value that does not fit and `EINVAL` for anything
/// that is not such a number.
pub(crate) fn parse_u32(bytes: &[u8]) -> Result<u32> {
    let s = c_string(bytes);
    let s = s.strip_prefix(b"+").unwrap_or(s);
    let digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
    let mut value: u64 = 0;
    let mut overflow = false;
    for &b in &s[..digits] {
        match value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
        {
            Some(v) => value = v,
            None => overflow = true,
        }
    }
    if overflow {
        return Err(ERANGE);
    }
    if digits == 0 {
        return Err(EINVAL);
    }
    let rest = &s[digits..];
    let rest = rest.strip_prefix(b"\n").unwrap_or(rest);
    if !rest.is_empty() {
        return Err(EINVAL);
    }
    u32::try_from(value).map_err(|_| ERANGE)
}

/// Validates a time slice extension duration written to
/// `rseq/slice_ext_nsec`: `EINVAL` if it is no number, `ERANGE` if it is
/// outside [`SLICE_EXT_NSECS_MIN`]..=[`SLICE_EXT_NSECS_MAX`].
pub(crate) fn slice_ext_nsecs_from(bytes: &[u8]) -> Result<u32> {
    let nsecs = parse_u32(bytes).map_err(|_| EINVAL)?;
    if !(SLICE_EXT_NSECS_MIN..=SLICE_EXT_NSECS_MAX).contains(&nsecs) {
        return Err(ERANGE);
    }
    Ok(nsecs)
}

/// What the `rseq_slice_ext=` boot parameter asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SliceParam {
    /// Not a boolean: the parameter is not handled (passed on to init).
    Unhandled,
    /// A true value: leave the extensions on.
    Keep,
    /// A false value: turn the extensions off.
    Disable,
}

/// Decides what `rseq_slice_ext=VALUE` does.
pub(crate) fn slice_param(bytes: &[u8]) -> SliceParam {
    match parse_bool(bytes) {
        Err(_) => SliceParam::Unhandled,
        Ok(true) => SliceParam::Keep,
        Ok(false) => SliceParam::Disable,
    }
}

/// Reads the bytes of a debugfs write that C would look at: at most
/// `out.len()`.
fn copy_written_bytes(buf: UserPtr, count: usize, out: &mut [u8]) -> Result<&[u8]> {
    let len = count.min(out.len());
    UserSlice::new(buf, len)
        .reader()
        .read_slice(&mut out[..len])?;
    Ok(&out[..len])
}

/// `rseq_debug=VALUE`: switches debug mode. Returns the value of the C
/// `__setup()` handler: 1 if handled, `-EINVAL` if `VALUE` is no boolean.
pub(crate) fn debug_param(bytes: &[u8]) -> c_int {
    match parse_bool(bytes) {
        Ok(on) => {
            rseq::set_debug_enabled(on);
            1
        }
        Err(e) => e.to_errno(),
    }
}

/// `rseq_slice_ext=VALUE`: turns time slice extensions off for a false
/// value. Returns 1 if handled, 0 if `VALUE` is no boolean.
pub(crate) fn slice_ext_param(bytes: &[u8]) -> c_int {
    match slice_param(bytes) {
        SliceParam::Unhandled => 0,
        SliceParam::Keep => 1,
        SliceParam::Disable => {
            rseq::disable_slice_extension();
            1
        }
    }
}

/// A write to `rseq/debug`: switches debug mode. Any error, a fault
/// included, is `EINVAL`, as in C.
pub(crate) fn debug_write(buf: UserPtr, count: usize) -> Result {
    let mut bytes = [0u8; BOOL_WRITE_MAX];
    let on = copy_written_bytes(buf, count, &mut bytes)
        .and_then(parse_bool)
        .map_err(|_| EINVAL)?;
    rseq::set_debug_enabled(on);
    Ok(())
}

/// A write to `rseq/slice_ext_nsec`: sets the duration of a time slice
/// extension. `EINVAL` for a fault or no number, `ERANGE` out of bounds.
pub(crate) fn slice_ext_nsecs_write(buf: UserPtr, count: usize) -> Result {
    let mut bytes = [0u8; UINT_WRITE_MAX];
    let raw = copy_written_bytes(buf, count, &mut bytes).map_err(|_| EINVAL)?;
    rseq::set_slice_ext_nsecs(slice_ext_nsecs_from(raw)?);
    Ok(())
}

#[cfg(CONFIG_RSEQ_RUST_KUNIT_TEST)]
#[kunit_tests(rust_rseq_control)]
mod tests {
    use super::*;

    #[test]
    fn bool_values() {
        let cases: &[(&[u8], bool)] = &[
            (b"1", true),
            (b"y", true),
            (b"Yes", true),
            (b"on", true),
            (b"t\n", true),
            (b"0", false),
            (b"n", false),
            (b"OFF", false),
            (b"f", false),
        ];
        for &(s, v) in cases {
            assert_eq!(parse_bool(s), Ok(v));
        }
        let invalid: &[&[u8]] = &[b"", b"\0", b"2", b"o", b"o\0n", b"x", b" 1"];
        for s in invalid {
            assert_eq!(parse_bool(s), Err(EINVAL));
        }
    }

    #[test]
    fn u32_values() {
        assert_eq!(parse_u32(b"5000"), Ok(5000));
        assert_eq!(parse_u32(b"+5000\n"), Ok(5000));
        assert_eq!(parse_u32(b"007"), Ok(7));
        assert_eq!(parse_u32(b"12\0junk"), Ok(12));
        assert_eq!(parse_u32(b"4294967295"), Ok(u32::MAX));
        assert_eq!(parse_u32(b"4294967296"), Err(ERANGE));
        assert_eq!(parse_u32(b"99999999999999999999999"), Err(ERANGE));
        let invalid: &[&[u8]] = &[
            b"", b"+", b"\n", b"-1", b"0x10", b" 1", b"1 ", b"1\n\n", b"++1",
        ];
        for s in invalid {
            assert_eq!(parse_u32(s), Err(EINVAL));
        }
    }

    #[test]
    fn slice_ext_bounds() {
        assert_eq!(slice_ext_nsecs_from(b"5000"), Ok(SLICE_EXT_NSECS_MIN));
        assert_eq!(slice_ext_nsecs_from(b"50000\n"), Ok(SLICE_EXT_NSECS_MAX));
        assert_eq!(slice_ext_nsecs_from(b"4999"), Err(ERANGE));
        assert_eq!(slice_ext_nsecs_from(b"50001"), Err(ERANGE));
        assert_eq!(slice_ext_nsecs_from(b"0"), Err(ERANGE));
        assert_eq!(slice_ext_nsecs_from(b"4294967296"), Err(EINVAL));
        assert_eq!(slice_ext_nsecs_from(b"abc"), Err(EINVAL));
    }

    #[test]
    fn slice_param_values() {
        assert_eq!(slice_param(b"0"), SliceParam::Disable);
        assert_eq!(slice_param(b"off"), SliceParam::Disable);
        assert_eq!(slice_param(b"1"), SliceParam::Keep);
        assert_eq!(slice_param(b"maybe"), SliceParam::Unhandled);
        assert_eq!(slice_param(b""), SliceParam::Unhandled);
    }
}
