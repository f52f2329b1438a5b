//! Resident-set figures of this process, from `/proc/self/status`, in bytes — what the
//! side-by-side benchmarks report as memory.

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Resets the peak resident set to the current one; false where the kernel does not allow it.
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// The current resident set (`VmRSS`); 0 where it cannot be read.
pub fn current() -> u64 {
    status_kib("VmRSS:").unwrap_or(0) * 1024
}

/// The peak resident set since start or the last [`reset_peak`] (`VmHWM`); 0 where it cannot be
/// read.
pub fn peak() -> u64 {
    status_kib("VmHWM:").unwrap_or(0) * 1024
}
