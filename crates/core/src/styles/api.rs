//! The styles façade on [`Core`]: what the window's commands and the CLI call.

use std::path::Path;

use crate::error::Result;
use crate::styles::import::{self, StyleImport};
use crate::styles::{self, Style, StyleDraft};
use crate::Core;

impl Core {
    /// Every saved style, by name.
    pub async fn styles(&self) -> Result<Vec<Style>> {
        styles::list(self.pool()).await
    }

    /// One style by name (any case).
    pub async fn style(&self, name: &str) -> Result<Style> {
        styles::find(self.pool(), name).await
    }

    /// Saves a style, replacing one of the same name.
    pub async fn save_style(&self, draft: &StyleDraft) -> Result<Style> {
        styles::save(self.pool(), draft).await
    }

    pub async fn delete_style(&self, name: &str) -> Result<()> {
        styles::delete(self.pool(), name).await
    }

    /// The styles of a data export (`.zip`) or of its `styles.json`: all of them, or none.
    pub async fn import_styles(&self, path: &Path) -> Result<StyleImport> {
        import::import(self.pool(), path).await
    }
}
