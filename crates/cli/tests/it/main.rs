//! The CLI's tests, as one test binary that runs the real `flux-krea-cli` (one binary, not one per
//! file: each links the fakes and the core, which cost CI minutes of linking and gigabytes of disk).

mod account;
mod dates;
mod doctor;
mod generation;
mod key;
mod lineage;
mod no_keychain;
mod platform_journey;
mod privacy;
mod styles;
mod variations;

/// The real `flux-krea-cli` in a sandboxed install (only the sandbox's variables, none inherited).
pub fn cli(sandbox: &flux_krea_core::testing::Sandbox) -> std::process::Command {
    sandbox.command(env!("CARGO_BIN_EXE_flux-krea-cli"))
}

/// The keychain is one per OS user: the sign-in test and the erasure test take turns.
pub static KEYCHAIN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Waits for a verb that prints a URL to open (sign-in, checkout) and waits for the browser: hands
/// the first URL it prints on stderr to `browse`, then waits for the verb. Its output and whole
/// stderr. `child` must have piped stdout and stderr.
pub async fn with_printed_url<F, Fut>(
    mut child: std::process::Child,
    args: &[&str],
    browse: F,
) -> (std::process::Output, String)
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    use std::io::{BufRead, BufReader};
    let stderr = child.stderr.take().expect("stderr piped");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.trim_start().starts_with("http") {
                let _ = tx.send(line.trim().to_string());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let url = tokio::task::spawn_blocking(move || rx.recv_timeout(std::time::Duration::from_secs(20)))
        .await
        .unwrap()
        .unwrap_or_else(|_| panic!("{args:?} printed no URL to open"));
    browse(url).await;
    let output = tokio::task::spawn_blocking(move || child.wait_with_output()).await.unwrap().unwrap();
    (output, reader.join().unwrap())
}
