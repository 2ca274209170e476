//! `flux-krea-fakes replicate [--port P] [--delivery-port Q] [--token T ...]`
//! `flux-krea-fakes platform [--port P] [--delivery-port Q]`
//! `flux-krea-fakes updates [--port P]` (offers version 9.9.9 on the stable feed)
//! `flux-krea-fakes google|github [--port P] [--client-id ID] [--client-secret S]`
//! `flux-krea-fakes stripe [--port P] [--secret-key sk_…] [--webhook-url URL] [--webhook-secret whsec_…]`
//! `flux-krea-fakes upstreams [--port P] [--webhook-url URL]`: Google, GitHub, Stripe and Replicate
//! (API + delivery host) for the platform service, on ports P..P+4 (P = 0: free ports)
//!
//! Serves until Ctrl-C and prints `NAME=value` lines on stdout for scripts to read:
//! `FLUX_KREA_REPLICATE_URL=...`, `FLUX_KREA_PLATFORM_URL=...`, `FLUX_KREA_UPDATE_FEED=...`; for the
//! upstream fakes the platform service's variables (`GOOGLE_*` 5 lines, `GITHUB_*` 4, `STRIPE_*` 3;
//! `upstreams` prints those 12 then `REPLICATE_API_URL`, `REPLICATE_API_TOKEN`,
//! `REPLICATE_WEBHOOK_SECRET`). The client ids and secrets printed are the fakes' test values.
//! Knobs: `POST /_fake/knobs` on each port (and `/_fake/replicate/knobs` on the platform's).

// In a folder so cargo does not take it for a binary of its own.
#[path = "fake-services/upstreams.rs"]
mod upstreams;

use std::io::Write;
use std::process::ExitCode;

use flux_krea_fakes::platform::{RunningPlatform, ANON_KEY};
use flux_krea_fakes::replicate::ReplicateFake;
use flux_krea_fakes::updates::{Feed, UpdateKnobs, UpdateServer};
use flux_krea_fakes::RunningFake;

const USAGE: &str = "usage: flux-krea-fakes replicate [--port P] [--delivery-port Q] [--token T ...]\n       \
                     flux-krea-fakes platform [--port P] [--delivery-port Q]\n       \
                     flux-krea-fakes updates [--port P]\n       \
                     flux-krea-fakes google|github [--port P] [--client-id ID] [--client-secret S]\n       \
                     flux-krea-fakes stripe [--port P] [--secret-key K] [--webhook-url U] [--webhook-secret S]\n       \
                     flux-krea-fakes upstreams [--port P] [--webhook-url U]";
pub(crate) const DEFAULT_TOKEN: &str = "r8_demo_fake_token";

#[derive(PartialEq, Eq)]
enum Service {
    Replicate,
    Platform,
    Updates,
    Google,
    Github,
    Stripe,
    Upstreams,
}

struct Args {
    service: Service,
    port: u16,
    delivery_port: u16,
    tokens: Vec<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    secret_key: Option<String>,
    webhook_url: Option<String>,
    webhook_secret: Option<String>,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let service = match args.next().as_deref() {
        Some("replicate") => Service::Replicate,
        Some("platform") => Service::Platform,
        Some("updates") => Service::Updates,
        Some("google") => Service::Google,
        Some("github") => Service::Github,
        Some("stripe") => Service::Stripe,
        Some("upstreams") => Service::Upstreams,
        _ => return Err(USAGE.into()),
    };
    let mut parsed = Args {
        service,
        port: 0,
        delivery_port: 0,
        tokens: Vec::new(),
        client_id: None,
        client_secret: None,
        secret_key: None,
        webhook_url: None,
        webhook_secret: None,
    };
    let idp = matches!(parsed.service, Service::Google | Service::Github);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let port = || value.parse::<u16>().map_err(|_| format!("{flag}: not a port: {value}"));
        match flag.as_str() {
            "--port" => parsed.port = port()?,
            "--delivery-port" => parsed.delivery_port = port()?,
            // The platform's Replicate token is its own secret, never chosen from outside.
            "--token" if parsed.service == Service::Replicate => parsed.tokens.push(value),
            "--client-id" if idp => parsed.client_id = Some(value),
            "--client-secret" if idp => parsed.client_secret = Some(value),
            "--secret-key" if parsed.service == Service::Stripe => parsed.secret_key = Some(value),
            "--webhook-secret" if parsed.service == Service::Stripe => parsed.webhook_secret = Some(value),
            "--webhook-url" if matches!(parsed.service, Service::Stripe | Service::Upstreams) => {
                parsed.webhook_url = Some(value)
            }
            _ => return Err(format!("unknown argument {flag}\n{USAGE}")),
        }
    }
    if parsed.tokens.is_empty() {
        parsed.tokens.push(DEFAULT_TOKEN.into());
    }
    Ok(parsed)
}

/// The line(s) for stdout, the hint for stderr and the servers (kept alive until Ctrl-C).
type Started = (String, String, Vec<RunningFake>);

async fn replicate(args: Args) -> std::io::Result<Started> {
    let fake = ReplicateFake::new(args.tokens);
    let delivery = RunningFake::serve_on(args.delivery_port, fake.delivery_router()).await?;
    fake.set_delivery_url(&delivery.url());
    let api = RunningFake::serve_on(args.port, fake.router()).await?;
    let line = format!("FLUX_KREA_REPLICATE_URL={}/v1", api.url());
    let hint = format!("delivery host {}; knobs at {}/_fake/knobs; Ctrl-C to stop", delivery.url(), api.url());
    Ok((line, hint, vec![api, delivery]))
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
    Ok((line, hint, vec![running.api, running.delivery]))
}

async fn updates(args: Args) -> std::io::Result<Started> {
    let server = UpdateServer::new(UpdateKnobs { stable: Feed::Release, ..Default::default() });
    let running = server.start_on(args.port).await?;
    let url = running.url();
    let line = format!("FLUX_KREA_UPDATE_FEED={url}/stable/latest.json");
    let hint = format!("signed by tests/fixtures/updates/test.key.pub; knobs at {url}/_fake/knobs; Ctrl-C to stop");
    Ok((line, hint, vec![running]))
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
        Service::Google => upstreams::google(args).await,
        Service::Github => upstreams::github(args).await,
        Service::Stripe => upstreams::stripe(args).await,
        Service::Upstreams => upstreams::all(args).await,
    };
    let (line, hint, _servers) = match started {
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
