//! Generation: the model catalogue (data), request validation, plans of several jobs (prompt
//! variations × models), the Replicate-format client, image inputs, the crash-safe job journal and runner, own-key credentials and the spend ledger. The
//! [`Core`](crate::Core) methods are in `api.rs`.

mod api;
pub mod catalogue;
pub mod draft;
mod enqueue;
pub mod input_image;
pub mod jobs;
pub mod own_key;
pub mod plan;
pub mod prediction;
pub mod provider;
pub mod request;
mod run;
pub mod spend;
pub mod staging;
pub mod variations;

pub use catalogue::{catalogue, Catalogue, Model};
pub use jobs::{Job, Jobs, QueueState};
pub use own_key::{Credentials, KeySource, KeyStatus};
pub use plan::{GenerationPlan, PlannedJob};
pub use request::{GenerationRequest, InputValue};
