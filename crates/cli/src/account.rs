//! `flux-krea-cli account sign-in|status|sign-out|mode` and `credits [--ledger] | packs | buy`.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use flux_krea_core::auth::{AccountStatus, GenerationMode, IdentityProvider};
use flux_krea_core::credits::{CheckoutState, KnownBalance};
use flux_krea_core::{Core, Error};

use crate::json::to_json;

#[derive(Subcommand)]
pub enum AccountAction {
    /// Sign in with Google or GitHub: prints the URL to open, then waits for the browser.
    SignIn {
        #[arg(long, value_parser = ["google", "github"])]
        provider: String,
        /// Do not try to open the system browser; only print the URL.
        #[arg(long)]
        no_browser: bool,
        /// Confirm you are 13 or older (asked once, before the first sign-in).
        #[arg(long)]
        confirm_age: bool,
    },
    /// Who is signed in, the balance and which mode generation uses.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// End the session on the platform and delete the tokens from the keychain.
    SignOut,
    /// Choose how to generate: with credits (`account`) or your Replicate key (`own-key`).
    Mode {
        #[arg(value_parser = ["account", "own-key"])]
        mode: String,
    },
}

#[derive(Args)]
pub struct CreditsArgs {
    #[command(subcommand)]
    action: Option<CreditsAction>,
    /// Also list the ledger (newest first).
    #[arg(long)]
    ledger: bool,
    /// How many ledger entries to show.
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// Print JSON instead of lines.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Subcommand)]
enum CreditsAction {
    /// The packs for sale, with prices.
    Packs,
    /// Buy a pack: prints the checkout URL, then waits until the payment completes or expires.
    Buy {
        pack: String,
        #[arg(long)]
        no_browser: bool,
        /// Print the checkout URL and session id, and do not wait.
        #[arg(long)]
        detach: bool,
    },
}

fn open_in_browser(url: &str, try_browser: bool) {
    eprintln!("Open this address in your browser to continue:\n  {url}");
    if try_browser && webbrowser_open(url) {
        eprintln!("(opened in your browser)");
    }
}

/// Best effort: the user has the printed URL either way.
fn webbrowser_open(url: &str) -> bool {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .is_ok()
}

pub async fn account(core: &Core, action: AccountAction) -> Result<ExitCode, Error> {
    match action {
        AccountAction::SignIn { provider, no_browser, confirm_age } => {
            let provider = IdentityProvider::parse(&provider)?;
            if confirm_age {
                core.confirm_age().await?;
            } else if !core.age_confirmed().await? {
                return Err(Error::invalid(
                    "--confirm-age",
                    "Flux Krea accounts are for people 13 or older: add --confirm-age to confirm you are",
                ));
            }
            let sign_in = core.sign_in(provider, |url| {
                open_in_browser(url, !no_browser);
                eprintln!("Waiting for the browser (Ctrl-C to cancel)…");
                Ok(())
            });
            let mut status = tokio::select! {
                s = sign_in => s?,
                _ = tokio::signal::ctrl_c() => {
                    core.cancel_sign_in();
                    return Err(Error::Canceled { what: "sign-in".into() });
                }
            };
            // The status reads the cached balance (never marked live); the sign-in just heard it.
            status.balance = fresh_balance(core).await.or(status.balance);
            print_status(&status);
        }
        AccountAction::Status { json } => {
            // A sign-out that could not reach the platform earlier is finished when it can be.
            core.retry_parked_session().await;
            let mut status = core.account_status().await?;
            if status.signed_in {
                // Fresh when the platform answers; the cached one is printed as such otherwise.
                status.balance = fresh_balance(core).await.or(status.balance);
            }
            if json {
                println!("{}", to_json(&status)?);
            } else {
                print_status(&status);
            }
        }
        AccountAction::SignOut => {
            let status = core.sign_out().await?;
            println!("Signed out; the session tokens were deleted from the keychain.");
            if status.session_ending {
                println!(
                    "Flux Krea could not be reached to end the session there too; that happens at the next \
                     `account status`, sign-in or start of the app while online."
                );
            }
            print_mode(&status);
        }
        AccountAction::Mode { mode } => {
            let mode = if mode == "account" { GenerationMode::Account } else { GenerationMode::OwnKey };
            let status = core.set_generation_mode(mode).await?;
            print_mode(&status);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_status(s: &AccountStatus) {
    if !s.available {
        println!("Account mode is not set up in this build; your own Replicate key works fully.");
    } else if let (true, Some(p)) = (s.signed_in, &s.profile) {
        println!("Signed in as {} <{}> with {}", p.name, p.email, p.provider);
        if let Some(b) = &s.balance {
            println!("Balance: {}", balance_text(b));
        }
    } else if let Some(reason) = &s.keychain_unavailable {
        println!("Not signed in: the keychain cannot be reached ({reason}), and a session is kept nowhere else.");
        println!("To fix: {}.", flux_krea_core::secrets::HOW_TO_GET_ONE);
    } else {
        println!("Not signed in.");
    }
    print_mode(s);
}

fn print_mode(s: &AccountStatus) {
    let mode = match s.active_mode {
        Some(GenerationMode::Account) => "Flux Krea credits",
        Some(GenerationMode::OwnKey) => "your Replicate key",
        None => "nothing yet (sign in or add a Replicate key)",
    };
    println!("Generating with: {mode}");
}

/// The balance as the platform says it now, if it answers.
async fn fresh_balance(core: &Core) -> Option<KnownBalance> {
    core.refresh_balance().await.ok().filter(|b| b.live)
}

fn balance_text(b: &KnownBalance) -> String {
    let when = flux_krea_core::clock::format_time(b.fetched_at);
    if b.live {
        format!("{} credits", b.credits)
    } else {
        format!("{} credits (last known, {when}; the platform could not be reached)", b.credits)
    }
}

pub async fn credits(core: &Core, args: CreditsArgs) -> Result<ExitCode, Error> {
    match args.action {
        None => {
            let balance = core.refresh_balance().await?;
            let mut entries = Vec::new();
            let mut cursor: Option<String> = None;
            while args.ledger && entries.len() < args.limit {
                let page = core.credit_ledger(cursor.as_deref()).await?;
                entries.extend(page.entries);
                match page.next {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
            entries.truncate(args.limit);
            if args.json {
                let value = serde_json::json!({ "balance": balance, "ledger": args.ledger.then_some(&entries) });
                println!("{}", to_json(&value)?);
                return Ok(ExitCode::SUCCESS);
            }
            println!("Balance: {}", balance_text(&balance));
            for e in &entries {
                let reason = format!("{:?}", e.reason).to_lowercase();
                let prediction = e.prediction_id.as_deref().unwrap_or("");
                println!("  {}  {:>+6}  {reason:<10}  {prediction}", e.created_at, e.delta);
            }
        }
        Some(CreditsAction::Packs) => {
            let packs = core.credit_packs().await?;
            if args.json {
                println!("{}", to_json(&packs)?);
            } else {
                for p in packs {
                    let price =
                        format!("{}.{:02} {}", p.price_cents / 100, p.price_cents % 100, p.currency.to_uppercase());
                    println!("  {:<12} {:>6} credits  {price}", p.id, p.credits);
                }
            }
        }
        Some(CreditsAction::Buy { pack, no_browser, detach }) => {
            let checkout = core.start_checkout(&pack).await?;
            open_in_browser(&checkout.checkout_url, !no_browser);
            if detach {
                println!("{}", to_json(&checkout)?);
                return Ok(ExitCode::SUCCESS);
            }
            eprintln!("Waiting for the payment (Ctrl-C stops waiting; a payment made later still arrives)…");
            let wait = core.wait_for_checkout(&checkout.session_id, flux_krea_core::credits::CHECKOUT_WAIT);
            let result = tokio::select! {
                r = wait => r?,
                _ = tokio::signal::ctrl_c() => {
                    core.cancel_checkout();
                    return Err(Error::Canceled { what: "waiting for the payment".into() });
                }
            };
            if args.json {
                println!("{}", to_json(&result)?);
            } else if result.state == CheckoutState::Complete {
                println!("Payment received: {} credits added.", result.credits_granted);
                if let Some(b) = &result.balance {
                    println!("Balance: {}", balance_text(b));
                }
            } else {
                println!("The checkout expired; nothing was charged.");
            }
            if result.state != CheckoutState::Complete {
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
