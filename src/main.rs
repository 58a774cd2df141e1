//! The `kintone-line-gateway` binary: everything lives in the library.

fn main() -> std::process::ExitCode {
    limit_malloc_arenas();
    kintone_line_gateway::cli::main()
}

/// glibc gives busy threads their own malloc arenas (up to 8 per core), and
/// memory freed in one arena is not reused by another: a burst handled on
/// several threads leaves the process tens of MiB larger for good. One arena
/// keeps the board's daemon small at a cost in lock contention it does not
/// feel (measured in docs/BENCHMARKS.md). Set before any thread exists; `MALLOC_ARENA_MAX` in
/// the environment still wins for anyone who wants to tune it.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets an allocator parameter; called on the
        // main thread before any other thread is started.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 1);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}
