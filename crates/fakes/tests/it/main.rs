//! The fakes' own tests over HTTP, as one test binary (one per file cost CI linking time and disk).

mod binary;
mod common;
mod github;
mod google;
mod platform_auth;
mod platform_credits;
mod platform_predictions;
mod platform_privacy;
mod replicate_account;
mod replicate_create;
mod replicate_faults;
mod replicate_files;
mod replicate_lifecycle;
mod replicate_webhooks;
mod stripe_sessions;
mod stripe_webhooks;
