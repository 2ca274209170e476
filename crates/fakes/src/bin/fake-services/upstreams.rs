//! The verbs for the platform service's upstreams: `google`, `github`, `stripe` and `upstreams`
//! (all of them plus Replicate), each printing the `NAME=value` lines the service reads.

use flux_krea_fakes::github::{self, GithubFake};
use flux_krea_fakes::google::{self, GoogleFake};
use flux_krea_fakes::oauth::IdpConfig;
use flux_krea_fakes::replicate::ReplicateFake;
use flux_krea_fakes::stripe::{StripeConfig, StripeFake};
use flux_krea_fakes::RunningFake;

use super::{Args, Started, DEFAULT_TOKEN};

fn idp_config(args: &Args, id: &str, secret: &str) -> IdpConfig {
    IdpConfig::new(args.client_id.as_deref().unwrap_or(id), args.client_secret.as_deref().unwrap_or(secret))
}

fn stripe_config(args: &Args) -> StripeConfig {
    let mut config = StripeConfig { webhook_url: args.webhook_url.clone(), ..StripeConfig::default() };
    if let Some(key) = &args.secret_key {
        config.secret_key = key.clone();
    }
    if let Some(secret) = &args.webhook_secret {
        config.webhook_secret = secret.clone();
    }
    config
}

/// Port `base + offset`, or any free port when `base` is 0.
fn port(base: u16, offset: u16) -> u16 {
    if base == 0 {
        0
    } else {
        base.saturating_add(offset)
    }
}

pub(super) async fn google(args: Args) -> std::io::Result<Started> {
    let config = idp_config(&args, google::DEFAULT_CLIENT_ID, google::DEFAULT_CLIENT_SECRET);
    let running = GoogleFake::start_on(args.port, config).await?;
    let hint = format!("knobs at {0}/_fake/knobs, identity at {0}/_fake/user; Ctrl-C to stop", running.url());
    Ok((running.env_lines().join("\n"), hint, vec![running.server]))
}

pub(super) async fn github(args: Args) -> std::io::Result<Started> {
    let config = idp_config(&args, github::DEFAULT_CLIENT_ID, github::DEFAULT_CLIENT_SECRET);
    let running = GithubFake::start_on(args.port, config).await?;
    let hint = format!(
        "web and API hosts on one port; knobs at {0}/_fake/knobs, identity at {0}/_fake/user; Ctrl-C to stop",
        running.url()
    );
    Ok((running.env_lines().join("\n"), hint, vec![running.server]))
}

pub(super) async fn stripe(args: Args) -> std::io::Result<Started> {
    let running = StripeFake::start_on(args.port, stripe_config(&args)).await?;
    let hint = format!(
        "knobs at {0}/_fake/knobs; webhook endpoint via POST {0}/_fake/webhook; deliveries at \
         {0}/_fake/deliveries; Ctrl-C to stop",
        running.url()
    );
    Ok((running.env_lines().join("\n"), hint, vec![running.server]))
}

/// Google, GitHub, Stripe, then Replicate's API and delivery host, on `--port`..`--port`+4.
pub(super) async fn all(args: Args) -> std::io::Result<Started> {
    let base = args.port;
    let g =
        GoogleFake::start_on(port(base, 0), IdpConfig::new(google::DEFAULT_CLIENT_ID, google::DEFAULT_CLIENT_SECRET))
            .await?;
    let h =
        GithubFake::start_on(port(base, 1), IdpConfig::new(github::DEFAULT_CLIENT_ID, github::DEFAULT_CLIENT_SECRET))
            .await?;
    let s = StripeFake::start_on(port(base, 2), stripe_config(&args)).await?;
    let replicate = ReplicateFake::new([DEFAULT_TOKEN]);
    let delivery = RunningFake::serve_on(port(base, 4), replicate.delivery_router()).await?;
    replicate.set_delivery_url(&delivery.url());
    let api = RunningFake::serve_on(port(base, 3), replicate.router()).await?;
    let mut lines = g.env_lines();
    lines.extend(h.env_lines());
    lines.extend(s.env_lines());
    lines.push(format!("REPLICATE_API_URL={}/v1", api.url()));
    lines.push(format!("REPLICATE_API_TOKEN={DEFAULT_TOKEN}"));
    lines.push(format!("REPLICATE_WEBHOOK_SECRET={}", replicate.webhook_secret()));
    let hint = format!(
        "knobs at /_fake/knobs on each port; Stripe webhook endpoint via POST {}/_fake/webhook; Replicate \
         delivery host {}; Ctrl-C to stop",
        s.url(),
        delivery.url()
    );
    Ok((lines.join("\n"), hint, vec![g.server, h.server, s.server, api, delivery]))
}
