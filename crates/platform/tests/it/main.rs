//! The platform service against a real Postgres and a real S3 protocol server
//! (`eval "$(scripts/platform-services.sh start)"` exports where they are) and the upstream fakes.

mod common;

mod auth;
mod backlog;
mod basics;
mod binary;
mod contract;
mod credits;
mod faults;
mod logs;
mod predictions;
mod privacy;
mod replicas;
