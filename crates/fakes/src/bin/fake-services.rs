//! `flux-krea-fakes replicate [--port P] [--delivery-port Q] [--token T ...]`
//!
//! Serves the Replicate fake until Ctrl-C and prints `FLUX_KREA_REPLICATE_URL=...` on stdout for
//! demo scripts to read. Knobs: `POST /_fake/knobs` on the API port.

use std::io::Write;
use std::process::ExitCode;

use flux_krea_fakes::replicate::ReplicateFake;
use flux_krea_fakes::RunningFake;

const USAGE: &str = "usage: flux-krea-fakes replicate [--port P] [--delivery-port Q] [--token T ...]";
const DEFAULT_TOKEN: &str = "r8_demo_fake_token";

struct Args {
    port: u16,
    delivery_port: u16,
    tokens: Vec<String>,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    if args.next().as_deref() != Some("replicate") {
        return Err(USAGE.into());
    }
    let mut parsed = Args { port: 0, delivery_port: 0, tokens: Vec::new() };
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let port = || value.parse::<u16>().map_err(|_| format!("{flag}: not a port: {value}"));
        match flag.as_str() {
            "--port" => parsed.port = port()?,
            "--delivery-port" => parsed.delivery_port = port()?,
            "--token" => parsed.tokens.push(value),
            _ => return Err(format!("unknown argument {flag}\n{USAGE}")),
        }
    }
    if parsed.tokens.is_empty() {
        parsed.tokens.push(DEFAULT_TOKEN.into());
    }
    Ok(parsed)
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
    let fake = ReplicateFake::new(args.tokens);
    let started = async {
        let delivery = RunningFake::serve_on(args.delivery_port, fake.delivery_router()).await?;
        fake.set_delivery_url(&delivery.url());
        let api = RunningFake::serve_on(args.port, fake.router()).await?;
        std::io::Result::Ok((api, delivery))
    };
    let (api, delivery) = match started.await {
        Ok(servers) => servers,
        Err(e) => {
            eprintln!("flux-krea-fakes: cannot listen: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("FLUX_KREA_REPLICATE_URL={}/v1", api.url());
    let _ = std::io::stdout().flush();
    eprintln!("delivery host {}; knobs at {}/_fake/knobs; Ctrl-C to stop", delivery.url(), api.url());
    let _ = tokio::signal::ctrl_c().await;
    ExitCode::SUCCESS
}
