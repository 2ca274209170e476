//! `flux-krea-platform serve | migrate | check-config`.

use std::process::ExitCode;

use flux_krea_platform::serve::{self, MIGRATOR};
use flux_krea_platform::Config;
use tracing_subscriber::EnvFilter;

const USAGE: &str = "usage: flux-krea-platform serve | migrate | check-config";

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    // One rustls provider for the whole process (ring; aws-lc-rs stays out of the build).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let verb = std::env::args().nth(1).unwrap_or_default();
    if !matches!(verb.as_str(), "serve" | "migrate" | "check-config") {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if verb == "check-config" {
        println!("configuration is complete; listening on {} as {}", config.bind, config.public_url);
        return ExitCode::SUCCESS;
    }
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let outcome = runtime.block_on(async move {
        if verb == "migrate" {
            let db = serve::connect(&config).await?;
            MIGRATOR.run(&db).await?;
            println!("migrations applied");
            return Ok(());
        }
        let bind = config.bind;
        let app = serve::prepare(config).await?;
        let listener = tokio::net::TcpListener::bind(bind).await?;
        tracing::info!(%bind, "serving");
        serve::run(app, listener, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("flux-krea-platform: {e}");
            ExitCode::FAILURE
        }
    }
}
