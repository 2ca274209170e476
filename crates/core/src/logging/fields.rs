//! Fields are redacted as plain text before the formatter colours them: with ANSI on, a field
//! prints as `ESC[3mtoken ESC[0m ESC[2m= ESC[0m…`, which no pattern over the finished line can see.

use std::fmt;

use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::{DefaultFields, Writer};
use tracing_subscriber::fmt::FormatFields;

use super::redact;

/// `DefaultFields` without colour, redacted, then written where the formatter asked.
#[derive(Debug, Default, Clone, Copy)]
pub struct RedactedFields;

impl<'writer> FormatFields<'writer> for RedactedFields {
    fn format_fields<R: RecordFields>(&self, mut writer: Writer<'writer>, fields: R) -> fmt::Result {
        let mut plain = String::new();
        DefaultFields::new().format_fields(Writer::new(&mut plain), fields)?;
        writer.write_str(&redact(&plain))
    }
}
