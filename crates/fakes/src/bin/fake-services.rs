//! `flux-krea-fakes replicate [--port P] [--delivery-port Q] [--token T ...]`
//! `flux-krea-fakes platform [--port P] [--delivery-port Q]`
//! `flux-krea-fakes updates [--port P]` (offers version 9.9.9 on the stable feed)
//!
//! Serves a fake until Ctrl-C and prints `FLUX_KREA_REPLICATE_URL=...` or
//! `FLUX_KREA_PLATFORM_URL=...` on stdout for demo scripts to read. Knobs: `POST /_fake/knobs` on
//! the API port (and `/_fake/replicate/knobs` on the platform's).

use std::io::Write;
use std::process::ExitCode;

use flux_krea_fakes::platform::{RunningPlatform, ANON_KEY};
use flux_krea_fakes::replicate::ReplicateFake;
use flux_krea_fakes::updates::{Feed, UpdateKnobs, UpdateServer};
use flux_krea_fakes::RunningFake;

const USAGE: &str = "usage: flux-krea-fakes replicate [--port P] [--delivery-port Q] [--token T ...]\n       \
                     flux-krea-fakes platform [--port P] [--delivery-port Q]\n       \
                     flux-krea-fakes updates [--port P]";
const DEFAULT_TOKEN: &str = "r8_demo_fake_token";

#[derive(PartialEq, Eq)]
enum Service {
    Replicate,
    Platform,
    Updates,
}

struct Args {
    service: Service,
    port: u16,
    delivery_port: u16,
    tokens: Vec<String>,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let service = match args.next().as_deref() {
        Some("replicate") => Service::Replicate,
        Some("platform") => Service::Platform,
        Some("updates") => Service::Updates,
        _ => return Err(USAGE.into()),
    };
    let mut parsed = Args { service, port: 0, delivery_port: 0, tokens: Vec::new() };
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let port = || value.parse::<u16>().map_err(|_| format!("{flag}: not a port: {value}"));
        match flag.as_str() {
            "--port" => parsed.port = port()?,
            "--delivery-port" => parsed.delivery_port = port()?,
            // The platform's Replicate token is its own secret, never chosen from outside.
            "--token" if parsed.service == Service::Replicate => parsed.tokens.push(value),
            _ => return Err(format!("unknown argument {flag}\n{USAGE}")),
        }
    }
    if parsed.tokens.is_empty() {
        parsed.tokens.push(DEFAULT_TOKEN.into());
    }
    Ok(parsed)
}

/// The servers (kept alive until Ctrl-C), the line for stdout and the hint for stderr.
type Started = (Vec<RunningFake>, String, String);

async fn replicate(args: Args) -> std::io::Result<Started> {
    let fake = ReplicateFake::new(args.tokens);
    let delivery = RunningFake::serve_on(args.delivery_port, fake.delivery_router()).await?;
    fake.set_delivery_url(&delivery.url());
    let api = RunningFake::serve_on(args.port, fake.router()).await?;
    let line = format!("FLUX_KREA_REPLICATE_URL={}/v1", api.url());
    let hint = format!("delivery host {}; knobs at {}/_fake/knobs; Ctrl-C to stop", delivery.url(), api.url());
    Ok((vec![api, delivery], line, hint))
}

async fn platform(args: Args) -> std::io::Result<Started> {
    let running = RunningPlatform::start_on(args.port, args.delivery_port).await?;
    let url = running.url();
    let line = format!("FLUX_KREA_PLATFORM_URL={url}");
    let hint = format!(
        "anon key {ANON_KEY}; delivery host {}; knobs at {url}/_fake/knobs and {url}/_fake/replicate/knobs; \
         state at {url}/_fake/state; Ctrl-C to stop",
        running.delivery.url()
    );
    Ok((vec![running.api, running.delivery], line, hint))
}

async fn updates(args: Args) -> std::io::Result<Started> {
    let server = UpdateServer::new(UpdateKnobs { stable: Feed::Release, ..Default::default() });
    let running = server.start_on(args.port).await?;
    let url = running.url();
    let line = format!("FLUX_KREA_UPDATE_FEED={url}/stable/latest.json");
    let hint = format!("signed by tests/fixtures/updates/test.key.pub; knobs at {url}/_fake/knobs; Ctrl-C to stop");
    Ok((vec![running], line, hint))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let started = match args.service {
        Service::Replicate => replicate(args).await,
        Service::Platform => platform(args).await,
        Service::Updates => updates(args).await,
    };
    let (_servers, line, hint) = match started {
        Ok(started) => started,
        Err(e) => {
            eprintln!("flux-krea-fakes: cannot listen: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{line}");
    let _ = std::io::stdout().flush();
    eprintln!("{hint}");
    let _ = tokio::signal::ctrl_c().await;
    ExitCode::SUCCESS
}
