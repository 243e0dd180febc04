//! The helper's side: `attestera pdf-helper` reads one request on stdin,
//! does it and writes the answer on stdout. It runs under the limits the
//! service set ([`super::sandbox`]); it trusts nothing it reads.

/// Runs the helper; returns the process exit code.
pub fn main() -> i32 {
    2
}
