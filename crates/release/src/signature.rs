//! Minisign signatures as Tauri stores them: the `.sig` files and `plugins.updater.pubkey` both hold
//! the base64 of minisign's text format. Verification mirrors tauri-plugin-updater's.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use base64::Engine;
pub use minisign_verify::{PublicKey, Signature};

use crate::Error;

#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    #[error("is not base64 of UTF-8 text")]
    Encoding,
    #[error("does not decode as a minisign {what}: {source}")]
    Format { what: &'static str, source: minisign_verify::Error },
    #[error("was made by a different key than the configured public key")]
    OtherKey,
    #[error("does not match the file's bytes (changed after signing?)")]
    Mismatch,
    #[error("cannot be checked: {0}")]
    Verify(minisign_verify::Error),
    #[error("cannot read the signed file: {0}")]
    Io(#[from] io::Error),
}

fn decode_text(b64: &str) -> Result<String, SignatureError> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64.trim()).map_err(|_| SignatureError::Encoding)?;
    String::from_utf8(bytes).map_err(|_| SignatureError::Encoding)
}

/// A `.sig` file's contents or a manifest's `signature` field.
pub fn decode(b64: &str) -> Result<Signature, SignatureError> {
    Signature::decode(&decode_text(b64)?).map_err(|source| SignatureError::Format { what: "signature", source })
}

/// Tauri's `plugins.updater.pubkey` value.
pub fn decode_public_key(b64: &str) -> Result<PublicKey, SignatureError> {
    PublicKey::decode(&decode_text(b64)?).map_err(|source| SignatureError::Format { what: "public key", source })
}

/// Reads `plugins.updater.pubkey` from a Tauri config file (JSON).
pub fn public_key_from_tauri_config(path: &Path) -> Result<PublicKey, Error> {
    let config_error = |reason: String| Error::Config { path: path.to_owned(), reason };
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io { path: path.to_owned(), source })?;
    let config: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| config_error(format!("not JSON (only .json configs are read): {e}")))?;
    let pubkey = config
        .pointer("/plugins/updater/pubkey")
        .and_then(|v| v.as_str())
        .ok_or_else(|| config_error("plugins.updater.pubkey: missing or not a string".into()))?;
    decode_public_key(pubkey).map_err(|e| config_error(format!("plugins.updater.pubkey {e}")))
}

/// The version Tauri's CLI bound the signature to (`version:X` in the trusted comment), if any.
pub fn signed_version(signature: &Signature) -> Option<&str> {
    signature.trusted_comment().split('\t').find_map(|field| field.strip_prefix("version:"))
}

/// Version equality as the updater checks it: semver, ignoring a leading `v`.
pub fn same_version(a: &str, b: &str) -> bool {
    match (semver::Version::parse(a.trim_start_matches('v')), semver::Version::parse(b.trim_start_matches('v'))) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Verifies `path`'s bytes, streaming them (installers are large). Legacy (non-prehashed)
/// signatures, which the updater also accepts, are checked over the whole file in memory.
pub fn verify_file(key: &PublicKey, signature: &Signature, path: &Path) -> Result<(), SignatureError> {
    let classify = |e: minisign_verify::Error| match e {
        minisign_verify::Error::UnexpectedKeyId => SignatureError::OtherKey,
        minisign_verify::Error::InvalidSignature => SignatureError::Mismatch,
        other => SignatureError::Verify(other),
    };
    let mut stream = match key.verify_stream(signature) {
        Ok(stream) => stream,
        Err(minisign_verify::Error::UnsupportedLegacyMode) => {
            return key.verify(&std::fs::read(path)?, signature, true).map_err(classify);
        }
        Err(e) => return Err(classify(e)),
    };
    let mut file = File::open(path)?;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        stream.update(&buf[..n]);
    }
    stream.finalize().map_err(classify)
}
