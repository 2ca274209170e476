//! Opening sign-in and checkout pages in the system browser. `FLUX_KREA_BROWSER` names a program
//! to use instead (the `$BROWSER` convention): kiosks, power users, and the end-to-end tests,
//! which play the browser themselves.

use flux_krea_core::Error;

pub fn open(url: &str) -> Result<(), Error> {
    if let Some(program) = std::env::var_os("FLUX_KREA_BROWSER").filter(|p| !p.is_empty()) {
        return std::process::Command::new(&program)
            .arg(url)
            .spawn()
            .map(drop)
            .map_err(|e| Error::invalid("FLUX_KREA_BROWSER", format!("could not be started: {e}")));
    }
    tauri_plugin_opener::open_url(url, None::<&str>)
        .map_err(|e| Error::internal(format!("the system browser could not be opened: {e}")))
}
