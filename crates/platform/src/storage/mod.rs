//! Temporary output storage on an S3-compatible bucket (R2 in production): objects are written
//! once, read through short-lived presigned GET URLs, and deleted by the sweeper (jobs/sweep.rs).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::signer::Signer;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt, PutOptions, PutPayload, RetryConfig};
use url::Url;

use crate::config::S3Config;

/// How long a presigned download URL works: enough for the app to fetch it at once.
pub const PRESIGN_TTL: Duration = Duration::from_secs(15 * 60);

#[derive(Clone, Debug)]
pub struct Storage {
    s3: Arc<AmazonS3>,
}

impl Storage {
    pub fn new(config: &S3Config) -> Result<Storage, object_store::Error> {
        // object_store's HTTP client has TLS without a built-in provider (no aws-lc-rs): ring is
        // the process's provider; installing it again is a no-op.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let s3 = AmazonS3Builder::new()
            .with_endpoint(config.endpoint.as_str().trim_end_matches('/'))
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_access_key_id(&config.access_key_id)
            .with_secret_access_key(config.secret_access_key.expose())
            // A storage outage must not hold a request for minutes: settlement retries on its own.
            .with_retry(RetryConfig {
                max_retries: 2,
                retry_timeout: Duration::from_secs(10),
                ..RetryConfig::default()
            })
            .with_client_options(
                ClientOptions::new()
                    // Config only lets http through for loopback IPs (config::transport_allowed).
                    .with_allow_http(config.endpoint.scheme() == "http")
                    .with_connect_timeout(Duration::from_secs(5))
                    .with_timeout(Duration::from_secs(30)),
            )
            .build()?;
        Ok(Storage { s3: Arc::new(s3) })
    }

    pub async fn put(&self, key: &str, bytes: Bytes, content_type: &str) -> Result<(), object_store::Error> {
        let mut attributes = object_store::Attributes::new();
        attributes.insert(object_store::Attribute::ContentType, content_type.to_string().into());
        let opts = PutOptions { attributes, ..PutOptions::default() };
        self.s3.put_opts(&Path::from(key), PutPayload::from_bytes(bytes), opts).await.map(|_| ())
    }

    /// Deletes an object; one already gone counts as deleted.
    pub async fn delete(&self, key: &str) -> Result<(), object_store::Error> {
        match self.s3.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    pub async fn exists(&self, key: &str) -> Result<bool, object_store::Error> {
        match self.s3.head(&Path::from(key)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// A presigned GET URL for the object, valid for `ttl`.
    pub async fn presign(&self, key: &str, ttl: Duration) -> Result<Url, object_store::Error> {
        self.s3.signed_url(object_store::signer::Method::GET, &Path::from(key), ttl).await
    }

    /// The bucket answers (a missing probe object is an answer).
    pub async fn reachable(&self) -> bool {
        self.exists("readyz-probe").await.is_ok()
    }
}
