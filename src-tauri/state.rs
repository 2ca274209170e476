//! What the shell keeps: the opened core, or the reason it could not open (shown by the UI).

use std::sync::Arc;

use flux_krea_core::{Core, Error};

pub struct AppState {
    core: Result<Arc<Core>, Error>,
}

impl AppState {
    pub fn new(core: Result<Core, Error>) -> Self {
        AppState { core: core.map(Arc::new) }
    }

    /// The core, or the start-up error again so every screen can explain what went wrong.
    pub fn core(&self) -> Result<&Arc<Core>, Error> {
        self.core.as_ref().map_err(Clone::clone)
    }
}
