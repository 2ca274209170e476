//! Logging: `tracing` events go to a daily-rolling file in the OS log dir (pruned to the newest
//! [`MAX_LOG_FILES`]), and optionally to stderr; every field is redacted before it is coloured
//! ([`RedactedFields`]), and every finished line passes through [`redact`] again.

mod fields;
mod redact;

use std::io::{self, Write};
use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

pub use fields::RedactedFields;
pub use redact::redact;

use crate::error::{Error, Result};

pub const LOG_FILE_PREFIX: &str = "flux-krea";
pub const MAX_LOG_FILES: usize = 14;

/// Keep it alive for the life of the process: dropping it flushes the file writer.
#[must_use = "dropping the guard stops file logging"]
pub struct LogGuard {
    _file: WorkerGuard,
}

/// Why `filter` is not a valid filter (`EnvFilter` syntax), if it is not.
pub fn check_filter(filter: &str) -> std::result::Result<(), String> {
    EnvFilter::try_new(filter).map(drop).map_err(|e| e.to_string())
}

/// Installs the global subscriber. `filter` uses `EnvFilter` syntax (`info`, `flux_krea_core=debug`).
pub fn init(log_dir: &Path, filter: &str, to_stderr: bool) -> Result<LogGuard> {
    // sqlx logs every statement at debug; statements carry no bound values, but keep the log about the app.
    let directives = if filter.contains("sqlx") { filter.to_string() } else { format!("{filter},sqlx=warn") };
    let filter = EnvFilter::try_new(directives).map_err(|e| Error::invalid("FLUX_KREA_LOG", e.to_string()))?;
    crate::storage::create_private_dir(log_dir)?;
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(LOG_FILE_PREFIX)
        .filename_suffix("log")
        .max_log_files(MAX_LOG_FILES)
        .build(log_dir)
        .map_err(|e| Error::storage(log_dir, e))?;
    let (file_writer, guard) = tracing_appender::non_blocking(appender);
    let file_layer = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .fmt_fields(RedactedFields)
        .with_writer(Redacting(file_writer))
        .boxed();
    let stderr_layer = to_stderr.then(|| {
        tracing_subscriber::fmt::layer()
            .fmt_fields(RedactedFields)
            .with_writer(Redacting(io::stderr))
            .with_target(false)
            .boxed()
    });
    tracing_subscriber::registry()
        .with(filter)
        .with(file_layer)
        .with(stderr_layer)
        .try_init()
        .map_err(|e| Error::internal(format!("logging was already set up: {e}")))?;
    Ok(LogGuard { _file: guard })
}

/// A `MakeWriter` whose writers buffer one event and write it redacted when dropped.
#[derive(Clone)]
pub struct Redacting<M>(pub M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Redacting<M> {
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter { inner: self.0.make_writer(), buf: Vec::with_capacity(256) }
    }
}

pub struct RedactingWriter<W: Write> {
    inner: W,
    buf: Vec<u8>,
}

impl<W: Write> RedactingWriter<W> {
    fn emit(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&self.buf);
        let clean = redact(&text);
        self.inner.write_all(clean.as_bytes())?;
        self.buf.clear();
        self.inner.flush()
    }
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        // fmt flushes once per event; redacting here sees the whole line.
        self.emit()
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    fn drop(&mut self) {
        let _ = self.emit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl Write for Sink {
        fn write(&mut self, d: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(d);
            Ok(d.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Goes through a real `fmt` layer, so fields, spans and messages are all covered.
    #[test]
    fn every_event_is_redacted_through_the_fmt_layer() {
        let sink = Sink::default();
        let writer = sink.clone();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_subscriber::fmt::layer().with_ansi(false).with_writer(Redacting(move || writer.clone())));
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("request", url = "https://x.example/a?sig=abc");
            let _e = span.enter();
            tracing::info!(user = "ann@example.com", "auth header Bearer abcdefghijk123 sent");
            tracing::warn!(key = "r8_AbCdEf0123456789", "rejected");
        });
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
        for secret in ["ann@example.com", "abcdefghijk123", "r8_AbCdEf0123456789", "sig=abc"] {
            assert!(!text.contains(secret), "{secret} leaked in {text}");
        }
        assert!(text.contains("<email>") && text.contains("Bearer <redacted>") && text.contains("r8_<redacted>"));
        assert!(text.contains("https://x.example/a?<redacted>"), "{text}");
    }

    /// A terminal's layer colours field names; the secrets must be gone before that happens.
    #[test]
    fn coloured_lines_are_redacted_before_the_colour() {
        let sink = Sink::default();
        let writer = sink.clone();
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .with_ansi(true)
                .fmt_fields(RedactedFields)
                .with_writer(Redacting(move || writer.clone())),
        );
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("sign_in", auth_code = "ac-span-secret");
            let _e = span.enter();
            tracing::info!(token = "plat-secret-ansi", refresh_token = "rt-ansi-secret", "answer read");
        });
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert!(text.contains('\u{1b}'), "the layer must colour: {text:?}");
        for secret in ["plat-secret-ansi", "rt-ansi-secret", "ac-span-secret"] {
            assert!(!text.contains(secret), "{secret} leaked in {text:?}");
        }
        assert!(text.contains(r#"token="<redacted>""#), "{text:?}");
    }

    #[test]
    fn init_writes_a_rolling_file_in_the_log_dir() {
        // The global subscriber can be set once per process; this is the only test that does.
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("logs");
        let guard = init(&logs, "info", false).unwrap();
        tracing::info!("started for bob@example.org with key r8_zzzzzzzzzzzz");
        drop(guard);
        let files: Vec<_> = std::fs::read_dir(&logs).unwrap().map(|e| e.unwrap().path()).collect();
        assert_eq!(files.len(), 1, "{files:?}");
        let name = files[0].file_name().unwrap().to_string_lossy().to_string();
        assert!(name.starts_with("flux-krea.") && name.ends_with(".log"), "{name}");
        let text = std::fs::read_to_string(&files[0]).unwrap();
        assert!(text.contains("started for <email> with key r8_<redacted>"), "{text}");
        assert!(init(&logs, "info", false).is_err(), "a second init must fail, not silently replace");
    }

    #[test]
    fn a_bad_filter_names_the_variable() {
        let dir = tempfile::tempdir().unwrap();
        let err = init(dir.path(), "=[", false).err().expect("must fail");
        assert!(matches!(err, Error::InvalidInput { ref field, .. } if field == "FLUX_KREA_LOG"), "{err:?}");
    }
}
