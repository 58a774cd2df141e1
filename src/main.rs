//! The `kintone-line-gateway` binary: everything lives in the library.

/// mimalloc, not the C library's malloc: a heap per thread instead of one
/// arena whose lock every thread would queue for (docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    tune_memory();
    // The web page's password check frees argon2's 7 MiB block at once:
    // without a collection mimalloc may keep it resident while the daemon
    // idles (docs/BENCHMARKS.md, `-- ui`).
    let _ = kintone_line_gateway::ui::AFTER_PASSWORD_CHECK.set(collect);
    // The web page's Health tab shows the room left on the state directory's disk.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    let _ = kintone_line_gateway::ui::DISK_ROOM.set(disk_room);
    kintone_line_gateway::cli::main()
}

/// Free (for an unprivileged writer) and whole bytes of the file system
/// holding `path` (`statvfs`).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[expect(unsafe_code, reason = "statvfs is a C function")]
fn disk_room(path: &std::path::Path) -> Option<(u64, u64)> {
    use std::os::unix::ffi::OsStrExt as _;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs is plain old data; all zeros is a valid value.
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a NUL-terminated path and `s` a valid, writable statvfs.
    if unsafe { libc::statvfs(c.as_ptr(), &mut s) } != 0 {
        return None;
    }
    // c_ulong and fsblkcnt_t are 32 or 64 bits by target: widening casts.
    let unit = (s.f_frsize as u64).max(1);
    Some((
        (s.f_bavail as u64).saturating_mul(unit),
        (s.f_blocks as u64).saturating_mul(unit),
    ))
}

/// Gives what this thread's heap freed back to the OS now (`mi_collect`).
#[expect(unsafe_code, reason = "mimalloc's collector is a C function")]
fn collect() {
    // SAFETY: mi_collect only returns free memory to the OS; any thread may call it.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

/// How long mimalloc keeps freed memory before giving it back to the OS: its
/// default (1 s) keeps a startup poll's pages of records resident next to
/// what comes after them, and 0 makes every free that empties a page a
/// system call (docs/BENCHMARKS.md).
const PURGE_DELAY_MS: std::ffi::c_long = 10;
/// `mi_option_purge_delay` in mimalloc.h (the same number in mimalloc 2 and
/// 3); the Rust bindings do not name it.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Allocator settings, made on the main thread before any other thread is
/// started. Each has an environment variable that still wins for anyone who
/// wants to tune it.
#[expect(unsafe_code, reason = "mimalloc's option setter is a C function")]
fn tune_memory() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one mimalloc option; no other thread exists yet.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) }
    }
    limit_c_heap();
}

/// Two settings for what the C library still allocates (SQLite's pages and
/// statements) and for the kernel:
/// - glibc gives busy threads their own malloc arenas (up to 8 per core), and
///   memory freed in one arena is not reused by another: one arena is enough
///   for the two store threads that allocate there.
/// - no transparent huge pages for this process: where the kernel's setting is
///   `always`, a 2 MiB page would back any touched corner of the allocator's
///   reserved space. `no_thp` (Cargo.toml) only stops mimalloc asking for them.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[expect(unsafe_code, reason = "mallopt and prctl are C functions")]
fn limit_c_heap() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets an allocator parameter; called on the
        // main thread before any other thread is started.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 1);
        }
    }
    // SAFETY: prctl with PR_SET_THP_DISABLE only sets a flag on this process;
    // it fails harmlessly on a kernel without THP.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_c_heap() {}
