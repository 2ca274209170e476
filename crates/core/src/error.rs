//! The one error type that crosses every boundary (IPC, CLI, tests).
//!
//! It is tagged so the UI can act on it (`kind`), and it never carries a raw error chain:
//! chains can hold URLs with tokens or file contents. Details go to the (redacted) log instead.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Error {
    /// The user must sign in (again) before this can run.
    #[error("sign-in required")]
    AuthRequired,
    /// The run costs more credits than the account holds.
    #[error("not enough credits: {needed} needed, {balance} available")]
    InsufficientCredits { needed: u32, balance: i32 },
    /// The remote service throttled us; try again after `retry_after_s` seconds.
    #[error("rate limited; retry in {retry_after_s} s")]
    RateLimited { retry_after_s: u32 },
    /// A value the user (or a config file) gave is not acceptable. `field` names it.
    #[error("{field}: {reason}")]
    InvalidInput { field: String, reason: String },
    /// Several values are not acceptable; each names its field (all reported at once, nothing sent).
    #[error("{}", describe_fields(fields))]
    InvalidFields { fields: Vec<FieldProblem> },
    /// Running this would pass the user's monthly own-key budget.
    #[error("this run (about ${estimate_usd:.3}) would pass your monthly budget of ${budget_usd:.2}; ${spent_usd:.3} spent so far")]
    BudgetExceeded { budget_usd: f64, spent_usd: f64, estimate_usd: f64 },
    /// No network connection to the named service.
    #[error("offline: cannot reach {service}")]
    Offline { service: String },
    /// The connection broke or timed out part-way (after retries).
    #[error("the connection to {service} failed: {detail}")]
    Network { service: String, detail: String },
    /// The remote service answered with an error.
    #[error("{service} answered {status}: {detail}")]
    Upstream { service: String, status: u16, detail: String },
    /// The OS keychain cannot be used; secrets are never written anywhere else.
    #[error("keychain unavailable: {reason}")]
    KeychainUnavailable { reason: String },
    /// The user stopped something before it finished (a sign-in, a purchase); nothing changed.
    #[error("{what} was canceled")]
    Canceled { what: String },
    /// Something the user asked for does not exist.
    #[error("{what} not found")]
    NotFound { what: String },
    /// A local file or the database could not be read or written.
    #[error("storage error at {path}: {reason}")]
    Storage { path: String, reason: String },
    /// A bug or an unexpected state; `message` is safe to show, details are in the log.
    #[error("internal error: {message}")]
    Internal { message: String },
}

impl Error {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidInput { field: field.into(), reason: reason.into() }
    }

    pub fn storage(path: &std::path::Path, reason: impl std::fmt::Display) -> Self {
        Error::Storage { path: path.display().to_string(), reason: reason.to_string() }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Error::Internal { message: message.into() }
    }
}

impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        // The sqlx error can quote SQL with user text in it: log the detail, show a summary.
        tracing::error!(error = %err, "database error");
        Error::internal("database error (details are in the log)")
    }
}

impl From<sqlx::migrate::MigrateError> for Error {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        tracing::error!(error = %err, "database migration failed");
        match err {
            // A downgrade: the file is fine and left exactly as it was.
            sqlx::migrate::MigrateError::VersionMissing(version) => Error::internal(format!(
                "this history was saved by a newer version of Flux Krea (database version {version}); \
                 install that version or a later one to open it. Nothing was changed"
            )),
            err => Error::internal(format!("the database could not be migrated: {err}")),
        }
    }
}

/// One bad field of a form or a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct FieldProblem {
    pub field: String,
    pub reason: String,
}

fn describe_fields(fields: &[FieldProblem]) -> String {
    let parts: Vec<String> = fields.iter().map(|f| format!("{}: {}", f.field, f.reason)).collect();
    parts.join("; ")
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The UI switches on these exact shapes; changing one is a breaking change for the webview.
    #[test]
    fn serialized_shape_is_pinned() {
        let cases = vec![
            (Error::AuthRequired, json!({"kind": "auth_required"})),
            (
                Error::InsufficientCredits { needed: 8, balance: 3 },
                json!({"kind": "insufficient_credits", "needed": 8, "balance": 3}),
            ),
            (Error::RateLimited { retry_after_s: 2 }, json!({"kind": "rate_limited", "retry_after_s": 2})),
            (
                Error::invalid("num_outputs", "must be between 1 and 4"),
                json!({"kind": "invalid_input", "field": "num_outputs", "reason": "must be between 1 and 4"}),
            ),
            (
                Error::InvalidFields {
                    fields: vec![FieldProblem { field: "seed".into(), reason: "must be a whole number".into() }],
                },
                json!({"kind": "invalid_fields", "fields": [{"field": "seed", "reason": "must be a whole number"}]}),
            ),
            (
                Error::BudgetExceeded { budget_usd: 5.0, spent_usd: 4.99, estimate_usd: 0.1 },
                json!({"kind": "budget_exceeded", "budget_usd": 5.0, "spent_usd": 4.99, "estimate_usd": 0.1}),
            ),
            (Error::Offline { service: "Replicate".into() }, json!({"kind": "offline", "service": "Replicate"})),
            (
                Error::Network { service: "Replicate".into(), detail: "timed out".into() },
                json!({"kind": "network", "service": "Replicate", "detail": "timed out"}),
            ),
            (
                Error::Upstream { service: "Replicate".into(), status: 502, detail: "bad gateway".into() },
                json!({"kind": "upstream", "service": "Replicate", "status": 502, "detail": "bad gateway"}),
            ),
            (
                Error::KeychainUnavailable { reason: "no secret service".into() },
                json!({"kind": "keychain_unavailable", "reason": "no secret service"}),
            ),
            (Error::Canceled { what: "sign-in".into() }, json!({"kind": "canceled", "what": "sign-in"})),
            (Error::NotFound { what: "generation 7".into() }, json!({"kind": "not_found", "what": "generation 7"})),
            (
                Error::Storage { path: "/d/history.db".into(), reason: "disk full".into() },
                json!({"kind": "storage", "path": "/d/history.db", "reason": "disk full"}),
            ),
            (Error::internal("boom"), json!({"kind": "internal", "message": "boom"})),
        ];
        for (error, expected) in cases {
            let value = serde_json::to_value(&error).expect("serialize");
            assert_eq!(value, expected, "shape of {error:?}");
            let back: Error = serde_json::from_value(value).expect("deserialize");
            assert_eq!(back, error);
        }
    }

    #[test]
    fn messages_name_the_field() {
        let msg = Error::invalid("platform_url", "must use https").to_string();
        assert_eq!(msg, "platform_url: must use https");
        let many = Error::InvalidFields {
            fields: vec![
                FieldProblem { field: "prompt".into(), reason: "is required".into() },
                FieldProblem { field: "guidance".into(), reason: "must be at most 10".into() },
            ],
        };
        assert_eq!(many.to_string(), "prompt: is required; guidance: must be at most 10");
    }
}
