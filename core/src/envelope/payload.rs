//! The text layer of an envelope: CBOR bytes → zlib deflate → base45 → `CC1:` prefix, and back.

use std::io::Write;

use flate2::Compression;
use flate2::write::ZlibEncoder;

use super::EnvelopeError;
use super::inflate::{self, InflateError};

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
    inflate::inflate_zlib(&deflated, MAX_INFLATED_LEN).map_err(|err| match err {
        InflateError::TooLarge { limit } => EnvelopeError::TooLarge { limit },
        other => EnvelopeError::Inflate(other),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_deflated(text: &str, edit: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut deflated = base45::decode(&text[PREFIX.len()..]).unwrap();
        edit(&mut deflated);
        format!("{PREFIX}{}", base45::encode(deflated))
    }

    #[test]
    fn a_payload_round_trips() {
        let cbor = b"\x82\x00\xa1\x01\x02".repeat(10);
        assert_eq!(from_text(&to_text(&cbor).unwrap()).unwrap(), cbor);
    }

    #[test]
    fn bytes_after_the_zlib_stream_are_refused() {
        let text = with_deflated(&to_text(b"\x82\x00\xa0").unwrap(), |d| d.push(0));
        assert_eq!(
            from_text(&text),
            Err(EnvelopeError::Inflate(InflateError::TrailingData {
                framing: "zlib",
                count: 1
            }))
        );
    }

    #[test]
    fn a_truncated_zlib_stream_is_refused() {
        let text = with_deflated(&to_text(b"\x82\x00\xa0").unwrap(), |d| {
            d.truncate(d.len() - 2);
        });
        assert_eq!(
            from_text(&text),
            Err(EnvelopeError::Inflate(InflateError::Truncated {
                framing: "zlib"
            }))
        );
    }

    #[test]
    fn an_envelope_inflating_past_the_limit_is_refused() {
        let text = to_text(&vec![0u8; MAX_INFLATED_LEN + 1]).unwrap();
        assert_eq!(
            from_text(&text),
            Err(EnvelopeError::TooLarge {
                limit: MAX_INFLATED_LEN
            })
        );
    }
}
