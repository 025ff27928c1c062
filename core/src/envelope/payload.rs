//! The text layer of an envelope: CBOR bytes → zlib deflate → base45 → `CC1:` prefix, and back.

use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;

use super::EnvelopeError;

/// The versioned prefix of every `CC1` payload.
pub const PREFIX: &str = "CC1:";

/// The largest inflated envelope accepted (a decompression-bomb guard), in bytes.
pub const MAX_INFLATED_LEN: usize = 64 * 1024;

/// Deflates (zlib, best compression) and base45-encodes `cbor` behind [`PREFIX`].
pub fn to_text(cbor: &[u8]) -> Result<String, EnvelopeError> {
    let mut encoder = ZlibEncoder::new(Vec::with_capacity(cbor.len()), Compression::best());
    encoder
        .write_all(cbor)
        .map_err(|err| EnvelopeError::Deflate(err.to_string()))?;
    let deflated = encoder
        .finish()
        .map_err(|err| EnvelopeError::Deflate(err.to_string()))?;
    Ok(format!("{PREFIX}{}", base45::encode(deflated)))
}

/// Strips [`PREFIX`], base45-decodes and inflates a payload back into its CBOR bytes.
pub fn from_text(text: &str) -> Result<Vec<u8>, EnvelopeError> {
    let body = match text.strip_prefix(PREFIX) {
        Some(body) => body,
        None => {
            return Err(match text.split_once(':') {
                Some((version, _))
                    if version.len() <= 8
                        && version.starts_with("CC")
                        && version.len() > 2
                        && version.bytes().skip(2).all(|byte| byte.is_ascii_digit()) =>
                {
                    EnvelopeError::UnsupportedVersion(version.to_owned())
                }
                _ => EnvelopeError::MissingPrefix,
            });
        }
    };
    let deflated = base45::decode(body).map_err(|err| EnvelopeError::Base45(err.to_string()))?;
    let mut inflated = Vec::new();
    let limit = u64::try_from(MAX_INFLATED_LEN + 1).unwrap_or(u64::MAX);
    ZlibDecoder::new(deflated.as_slice())
        .take(limit)
        .read_to_end(&mut inflated)
        .map_err(|err| EnvelopeError::Inflate(err.to_string()))?;
    if inflated.len() > MAX_INFLATED_LEN {
        return Err(EnvelopeError::TooLarge {
            limit: MAX_INFLATED_LEN,
        });
    }
    Ok(inflated)
}
