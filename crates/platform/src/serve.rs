//! Start-up: connect, migrate (every replica may: sqlx's migrator holds an advisory lock), build
//! storage, then serve and run the background work until shut down.

use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use tokio::net::TcpListener;

use crate::app::{router, App};
use crate::config::Config;
use crate::storage::Storage;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("storage: {0}")]
    Storage(#[from] object_store::Error),
    #[error("listen: {0}")]
    Io(#[from] std::io::Error),
}

pub async fn connect(config: &Config) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(config.db_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect(config.database_url.expose())
        .await
}

/// Connects, migrates and builds the replica's state.
pub async fn prepare(config: Config) -> Result<App, StartError> {
    let db = connect(&config).await?;
    MIGRATOR.run(&db).await?;
    let storage = Storage::new(&config.s3)?;
    Ok(App::new(config, db, storage))
}

/// Serves on `listener` (and runs the background work) until `shutdown` resolves.
pub async fn run(
    app: App,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let background = (!app.config().sweep_interval.is_zero()).then(|| crate::jobs::spawn(app.clone()));
    let served = axum::serve(listener, router(app)).with_graceful_shutdown(shutdown).await;
    if let Some(task) = background {
        task.abort();
    }
    served?;
    Ok(())
}
