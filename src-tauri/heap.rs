//! glibc's allocator gives each thread that meets contention an arena of its own, up to eight per
//! core, and memory freed in one arena serves only that arena. The app's many short-lived runtime
//! threads left several MB of such free pages resident. Measured with scripts/measure-gallery.sh
//! (10,000 items, debug build), the app process's anonymous memory: 31–38 MB by default, 25–27 MB
//! with one arena, 26–29 MB with two; two keep most of the saving without making the runtime's
//! busiest threads wait on one lock.

/// Arenas the allocator may create; the user's own `MALLOC_ARENA_MAX` is kept.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const ARENAS: libc::c_int = 2;

/// Called first thing in `run`, before any thread starts.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets an allocator parameter; called before other threads exist.
        if unsafe { libc::mallopt(libc::M_ARENA_MAX, ARENAS) } != 1 {
            eprintln!("the allocator kept its default arenas");
        }
    }
}
