//! A second launch hands its arguments to the running instance through tauri-plugin-single-instance
//! (a D-Bus name on Linux). When that instance is still exiting, it owns the name but no longer
//! answers, and the plugin fails its setup, which Tauri turns into a panic ("failed to forward
//! arguments"). This runs first: it hands over itself, or waits briefly for the exiting instance
//! to let the name go, and then the app starts (#21).

use std::time::{Duration, Instant};

use zbus::blocking::{fdo::DBusProxy, Connection};

/// How long an exiting instance gets to let go of the name.
pub const PATIENCE: Duration = Duration::from_secs(3);

/// What a launch should do.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// No other instance (or no session bus to find one on): start.
    Start,
    /// The running instance took the arguments: this process is done.
    HandedOver,
    /// An instance owns the name but has not answered nor let go within the patience.
    Unresponsive,
}

/// For `run`: returns when this process should start; exits when another instance took the
/// arguments (0) or holds the name without answering (1, with a sentence).
pub fn hand_over_or_exit() {
    let args: Vec<String> = std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect();
    let cwd = std::env::current_dir().unwrap_or_default().to_string_lossy().into_owned();
    match hand_over(flux_krea_core::paths::IDENTIFIER, &args, &cwd, PATIENCE) {
        Outcome::Start => {}
        Outcome::HandedOver => std::process::exit(0),
        Outcome::Unresponsive => {
            eprintln!("flux-krea: Flux Krea is still closing and did not answer; start it again in a moment.");
            std::process::exit(1);
        }
    }
}

/// The plugin's bus name and object path for this app identifier (its `init`, without `semver`).
pub fn bus_name(identifier: &str) -> (String, String) {
    let name = format!("{identifier}.SingleInstance");
    let path = format!("/{}", name.replace('.', "/").replace('-', "_"));
    (name, path)
}

/// Hands `args` to a running instance, waiting up to `patience` for one that is exiting.
pub fn hand_over(identifier: &str, args: &[String], cwd: &str, patience: Duration) -> Outcome {
    let Ok(bus) = Connection::session() else { return Outcome::Start };
    let Ok(dbus) = DBusProxy::new(&bus) else { return Outcome::Start };
    let (name, path) = bus_name(identifier);
    let Ok(bus_name) = zbus::names::BusName::try_from(name.as_str()) else { return Outcome::Start };
    let deadline = Instant::now() + patience;
    loop {
        if !dbus.name_has_owner(bus_name.clone()).unwrap_or(false) {
            return Outcome::Start;
        }
        if forward(&bus, &name, &path, args, cwd, ANSWER_WITHIN) {
            return Outcome::HandedOver;
        }
        if Instant::now() >= deadline {
            return Outcome::Unresponsive;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// How long one hand-over waits for the running instance's answer. An instance that is exiting
/// may hold the name without reading its messages: D-Bus would wait 25 s for it.
const ANSWER_WITHIN: Duration = Duration::from_millis(500);

/// One `ExecuteCallback` call, answered within `within` (on its own thread: zbus's blocking call
/// has no deadline of its own; a thread left waiting ends with the process or the answer).
fn forward(bus: &Connection, name: &str, path: &str, args: &[String], cwd: &str, within: Duration) -> bool {
    let (bus, name, path, args, cwd) =
        (bus.clone(), name.to_string(), path.to_string(), args.to_vec(), cwd.to_string());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let call = bus.call_method(
            Some(name.as_str()),
            path.as_str(),
            Some("org.SingleInstance.DBus"),
            "ExecuteCallback",
            &(args, cwd.as_str()),
        );
        let _ = tx.send(call.is_ok());
    });
    rx.recv_timeout(within).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Needs a session bus (the test script runs everything in `dbus-run-session`).
    #[test]
    fn an_owner_that_does_not_answer_is_waited_for_then_reported_and_a_freed_name_starts() {
        let identifier = format!("com.fluxkrea.test{}", std::process::id());
        let (name, _) = bus_name(&identifier);
        assert_eq!(hand_over(&identifier, &[], "/", Duration::ZERO), Outcome::Start, "nobody owns it yet");
        // An instance that is exiting: it holds the name but serves nothing any more.
        let exiting =
            zbus::blocking::connection::Builder::session().unwrap().name(name.as_str()).unwrap().build().unwrap();
        let started = Instant::now();
        let outcome = hand_over(&identifier, &["--screen".into(), "gallery".into()], "/", Duration::from_millis(400));
        assert_eq!(outcome, Outcome::Unresponsive);
        assert!(started.elapsed() >= Duration::from_millis(400), "it retried for its patience");
        // It lets go while the new launch waits: the new one starts.
        let letting_go = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            drop(exiting);
        });
        assert_eq!(hand_over(&identifier, &[], "/", Duration::from_secs(5)), Outcome::Start);
        letting_go.join().unwrap();
    }

    #[test]
    fn the_name_and_path_are_the_plugins() {
        assert_eq!(
            bus_name("com.fluxkrea.desktop"),
            ("com.fluxkrea.desktop.SingleInstance".to_string(), "/com/fluxkrea/desktop/SingleInstance".to_string())
        );
    }
}
