//! Secrets live only in the OS keychain (service = the app identifier) and in memory, wrapped in
//! [`Sensitive`] so a `Debug` print or a log line cannot show them.

use std::fmt;
use std::sync::Mutex;

use crate::error::{Error, Result};
use crate::paths::IDENTIFIER;

/// What to do when the keychain cannot be reached, in words a user can act on.
pub const HOW_TO_GET_ONE: &str = if cfg!(target_os = "linux") {
    "the keychain is a Secret Service on the session's D-Bus: install one (gnome-keyring or KWallet) and \
     run inside a desktop session, or over SSH start one with `dbus-run-session` and \
     `gnome-keyring-daemon --unlock`; for own-key runs, REPLICATE_API_TOKEN works without a keychain"
} else {
    "unlock the system keychain and try again; for own-key runs, REPLICATE_API_TOKEN works without a keychain"
};

/// Why the last read found the keychain unreachable (cleared by a read that reached it). The
/// keychain is one per session, so this is process-wide, like the keychain itself.
static UNREACHABLE: Mutex<Option<String>> = Mutex::new(None);

/// `Some(reason)` while the keychain cannot be reached: read paths then see "nothing stored".
pub fn unreachable_reason() -> Option<String> {
    UNREACHABLE.lock().map(|r| r.clone()).unwrap_or(None)
}

fn note_reachable(reason: Option<String>) {
    if let Ok(mut slot) = UNREACHABLE.lock() {
        if reason.is_some() && slot.is_none() {
            tracing::warn!("the keychain cannot be reached; reading it as empty");
        }
        *slot = reason;
    }
}

/// A value that must never be printed. `Debug` and `Display` show `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    pub fn new(value: T) -> Self {
        Sensitive(value)
    }
    /// The one way to read the value; grep for it to audit every use.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T> fmt::Display for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Runs a keychain call (blocking D-Bus/Keychain/Credential Manager IO) off the async threads.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|_| Error::internal("the keychain call stopped"))?
}

/// One named entry in the keychain, e.g. `replicate-token`.
pub struct KeychainEntry {
    name: String,
}

impl KeychainEntry {
    pub fn new(name: &str) -> Self {
        KeychainEntry { name: name.to_string() }
    }

    fn entry(&self) -> Result<keyring::Entry> {
        keyring::Entry::new(IDENTIFIER, &self.name).map_err(unavailable)
    }

    pub fn get(&self) -> Result<Option<Sensitive<String>>> {
        match self.entry()?.get_password() {
            Ok(v) => Ok(Some(Sensitive::new(v))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// For read paths: an unreachable keychain is a state, not an error. It reads as "nothing
    /// stored" and is remembered for [`unreachable_reason`]; writes still fail.
    pub fn read(&self) -> Option<Sensitive<String>> {
        match self.get() {
            Ok(found) => {
                note_reachable(None);
                found
            }
            Err(Error::KeychainUnavailable { reason }) => {
                note_reachable(Some(reason));
                None
            }
            Err(_) => None,
        }
    }

    pub fn set(&self, value: &Sensitive<String>) -> Result<()> {
        self.entry()?.set_password(value.expose()).map_err(unavailable)
    }

    pub fn delete(&self) -> Result<()> {
        match self.entry()?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }
}

fn unavailable(err: keyring::Error) -> Error {
    // keyring errors describe the platform failure, never the secret.
    Error::KeychainUnavailable { reason: err.to_string() }
}

/// Before a flow whose end is storing a secret (sign-in, a new key): fail at once, not after the
/// user has finished in the browser.
pub async fn ready() -> Result<()> {
    blocking(probe).await
}

/// Writes, reads back and deletes a throwaway entry: proves the keychain really stores things.
/// Blocking (D-Bus on Linux): call it from a blocking thread.
pub fn probe() -> Result<()> {
    // One entry per process: two probes at once (the window and a CLI) must not read each other's.
    let entry = KeychainEntry::new(&format!("doctor-probe-{}", std::process::id()));
    let value = Sensitive::new(format!("probe-{}", std::process::id()));
    entry.set(&value)?;
    let read = entry.get()?;
    entry.delete()?;
    if read.as_ref() != Some(&value) {
        return Err(Error::KeychainUnavailable { reason: "the keychain did not return what was stored".into() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_never_prints() {
        let s = Sensitive::new("r8_secret".to_string());
        assert_eq!(format!("{s:?} {s}"), "<redacted> <redacted>");
        assert_eq!(s.expose(), "r8_secret");
    }

    /// Runs against the real OS keychain (gnome-keyring in a D-Bus session on Linux CI); the test
    /// script provides one, so a missing keychain is a failure here, not a skip.
    #[test]
    fn real_keychain_round_trip() {
        let entry = KeychainEntry::new(&format!("test-{}", std::process::id()));
        let token = Sensitive::new("r8_roundtrip_value".to_string());
        entry.set(&token).expect("keychain must be reachable in tests (run under scripts/test.sh)");
        // A fresh Entry object reads it back: the in-memory mock could not do that.
        let again = KeychainEntry::new(&entry.name);
        assert_eq!(again.get().unwrap(), Some(token));
        again.delete().unwrap();
        assert_eq!(entry.get().unwrap(), None);
        probe().unwrap();
    }
}
