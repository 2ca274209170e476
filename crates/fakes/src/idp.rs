//! The frame both OAuth provider fakes share: the identity the next authorize signs in, the
//! knobs, the grants, the fake's own `/_fake/knobs` and `/_fake/user` routes, and the server on
//! a loopback port. Each provider adds its endpoints and URLs (google/, github/).

use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::oauth::{Grants, IdpConfig, IdpKnobs};
use crate::RunningFake;

/// A provider fake signing in identities of type `U` (what its user endpoint answers).
pub struct IdpFake<U> {
    inner: Arc<Inner<U>>,
}

impl<U> Clone for IdpFake<U> {
    fn clone(&self) -> Self {
        IdpFake { inner: self.inner.clone() }
    }
}

struct Inner<U> {
    config: IdpConfig,
    state: Mutex<Store<U>>,
}

pub(crate) struct Store<U> {
    pub user: U,
    pub knobs: IdpKnobs,
    pub grants: Grants<U>,
}

impl<U: Identity> IdpFake<U> {
    pub fn new(config: IdpConfig) -> IdpFake<U> {
        let store = Store { user: U::default(), knobs: IdpKnobs::default(), grants: Grants::default() };
        IdpFake { inner: Arc::new(Inner { config, state: Mutex::new(store) }) }
    }

    /// Serves `provider_routes` (the provider's own endpoints) and the `/_fake` routes on `port`
    /// (0: a free one).
    pub(crate) async fn serve(
        port: u16,
        config: IdpConfig,
        provider_routes: impl FnOnce(Router<IdpFake<U>>) -> Router<IdpFake<U>>,
    ) -> std::io::Result<RunningIdp<U>> {
        let fake = IdpFake::new(config);
        let server = RunningFake::serve_on(port, fake.router_with(provider_routes)).await?;
        Ok(RunningIdp { fake, server })
    }

    pub(crate) fn router_with(&self, provider_routes: impl FnOnce(Router<IdpFake<U>>) -> Router<IdpFake<U>>) -> Router {
        provider_routes(Router::new())
            .route("/_fake/knobs", get(read_knobs::<U>).post(replace_knobs::<U>))
            .route("/_fake/user", get(read_user::<U>).post(replace_user::<U>))
            .with_state(self.clone())
    }

    /// The identity the next authorize signs in (codes already issued keep theirs).
    pub fn set_user(&self, user: U) {
        self.state().user = user;
    }

    pub fn user(&self) -> U {
        self.state().user.clone()
    }

    pub fn set_knobs(&self, knobs: IdpKnobs) {
        self.state().knobs = knobs;
    }

    pub fn knobs(&self) -> IdpKnobs {
        self.state().knobs.clone()
    }

    pub(crate) fn config(&self) -> &IdpConfig {
        &self.inner.config
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, Store<U>> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What a provider's signed-in identity must be for the shared routes.
pub trait Identity: Clone + Default + Serialize + DeserializeOwned + Send + Sync + 'static {}
impl<U: Clone + Default + Serialize + DeserializeOwned + Send + Sync + 'static> Identity for U {}

/// The fake on a loopback port; derefs to the fake for `set_user`/`set_knobs`.
pub struct RunningIdp<U> {
    pub fake: IdpFake<U>,
    pub server: RunningFake,
}

impl<U> Deref for RunningIdp<U> {
    type Target = IdpFake<U>;
    fn deref(&self) -> &IdpFake<U> {
        &self.fake
    }
}

impl<U> RunningIdp<U> {
    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        self.server.url()
    }
}

async fn read_knobs<U: Identity>(State(fake): State<IdpFake<U>>) -> Json<IdpKnobs> {
    Json(fake.knobs())
}

async fn replace_knobs<U: Identity>(State(fake): State<IdpFake<U>>, Json(knobs): Json<IdpKnobs>) -> Json<IdpKnobs> {
    fake.set_knobs(knobs.clone());
    Json(knobs)
}

async fn read_user<U: Identity>(State(fake): State<IdpFake<U>>) -> Json<U> {
    Json(fake.user())
}

async fn replace_user<U: Identity>(State(fake): State<IdpFake<U>>, Json(user): Json<U>) -> Json<U> {
    fake.set_user(user.clone());
    Json(user)
}
