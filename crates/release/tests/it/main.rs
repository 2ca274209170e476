//! The release tool's tests, as one test binary.

mod fuzz_corpus;
mod latest_json;
mod validate;
