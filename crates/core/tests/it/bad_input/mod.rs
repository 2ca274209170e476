//! Bad input, catalogued (issue #8): a table of bad inputs across the app's entry points — form
//! fields, image files, config values, sign-in callback URLs, and answers of the remote services —
//! each with the clear error it must get and the check that nothing was written, sent or lost.
//!
//! Every case is data (`form_cases`, `image_cases`, `config_cases`, `callback_cases`,
//! `replicate_answer_cases`, `platform_answer_cases`), run by one test per entry point. A test runs
//! all of its cases, collects the failures and fails at the end naming each failing case.
//!
//! `BAD_INPUT.md` next to this file lists every case (entry point, input, error, what is checked); it
//! is rendered from the cases, and `the_markdown_table_lists_every_case` fails when it is stale
//! (`BAD_INPUT_BLESS=1` rewrites it).
//!
//! Known bugs: a case with `bug: Some(..)` describes the behaviour the app should have; the runner
//! skips it and prints why. `BAD_INPUT_KNOWN_BUGS=run` runs those too and prints what they do today,
//! without failing (to see whether a fix landed).
//!
//! The sign-in tests use the OS keychain: run under `dbus-run-session -- /tmp/keyring-run.sh` (or
//! any unlocked Secret Service), like `account.rs`. They take turns through `KEYCHAIN`.

use std::collections::BTreeMap;
use std::future::Future;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flux_krea_core::auth::IdentityProvider;
use flux_krea_core::generation::{GenerationRequest, InputValue, Job};
use flux_krea_core::history::Status;
use flux_krea_core::secrets::KeychainEntry;
use flux_krea_core::{Config, Core, Error};
use flux_krea_fakes::platform::{PlatformKnobs, RunningPlatform, ANON_KEY};
use flux_krea_fakes::replicate::{Knobs, RunningReplicate};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::KEYCHAIN;

const TOKEN: &str = "r8_test_token_0123456789";
/// Longest a single case may take (the slowest waits out a 35 s read timeout).
const CASE_TIMEOUT: Duration = Duration::from_secs(150);

mod callback;
mod catalogue;
mod config;
mod form;
mod images;
mod pictures;
mod platform_answers;
mod replicate_answers;
mod scripted;
mod table;
mod world;

use callback::*;
use catalogue::*;
use config::*;
use form::*;
use images::*;
use pictures::*;
use platform_answers::*;
use replicate_answers::*;
use scripted::*;
use world::*;
