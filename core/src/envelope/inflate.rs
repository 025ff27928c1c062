//! Decompression with explicit stream framing and an output limit: zlib (RFC 1950, EU DCC) and
//! raw DEFLATE (RFC 1951, SMART Health Cards).

use flate2::{Decompress, FlushDecompress, Status};

/// Largest decompressed payload accepted (a QR code holds < 3 KiB; this leaves room, not bombs).
pub const MAX_INFLATED_LEN: usize = 256 * 1024;

/// Why a payload could not be decompressed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InflateError {
    /// The input is empty.
    #[error("empty compressed input")]
    Empty,
    /// The stream is not valid for the expected framing (zlib header/checksum, or DEFLATE blocks).
    #[error("invalid {framing} stream: {message}")]
    Corrupt {
        /// `zlib` or `raw DEFLATE`.
        framing: &'static str,
        /// The decoder's message.
        message: String,
    },
    /// The stream ended before its final block.
    #[error("truncated {framing} stream")]
    Truncated {
        /// `zlib` or `raw DEFLATE`.
        framing: &'static str,
    },
    /// Bytes follow the end of the compressed stream.
    #[error("{count} trailing bytes after the {framing} stream")]
    TrailingData {
        /// `zlib` or `raw DEFLATE`.
        framing: &'static str,
        /// How many bytes follow the stream.
        count: usize,
    },
    /// The output would exceed [`MAX_INFLATED_LEN`].
    #[error("decompressed payload exceeds {MAX_INFLATED_LEN} bytes")]
    TooLarge,
}

/// Inflate a zlib (RFC 1950) stream, checking its header and Adler-32 trailer.
pub fn inflate_zlib(input: &[u8]) -> Result<Vec<u8>, InflateError> {
    inflate(input, true)
}

/// Inflate a raw DEFLATE (RFC 1951) stream; a zlib-wrapped stream is rejected.
pub fn inflate_raw(input: &[u8]) -> Result<Vec<u8>, InflateError> {
    inflate(input, false)
}

fn inflate(input: &[u8], zlib_header: bool) -> Result<Vec<u8>, InflateError> {
    let framing = if zlib_header { "zlib" } else { "raw DEFLATE" };
    if input.is_empty() {
        return Err(InflateError::Empty);
    }
    let mut decoder = Decompress::new(zlib_header);
    let mut out: Vec<u8> = Vec::with_capacity(input.len().saturating_mul(3).min(MAX_INFLATED_LEN));
    loop {
        let consumed = usize::try_from(decoder.total_in()).unwrap_or(usize::MAX);
        let rest = input.get(consumed..).unwrap_or_default();
        if out.len() == out.capacity() {
            if out.len() >= MAX_INFLATED_LEN {
                return Err(InflateError::TooLarge);
            }
            out.reserve((out.len().max(1024)).min(MAX_INFLATED_LEN - out.len()));
        }
        let before_in = decoder.total_in();
        let before_out = decoder.total_out();
        let status = decoder
            .decompress_vec(rest, &mut out, FlushDecompress::None)
            .map_err(|e| InflateError::Corrupt {
                framing,
                message: e.to_string(),
            })?;
        if out.len() > MAX_INFLATED_LEN {
            return Err(InflateError::TooLarge);
        }
        match status {
            Status::StreamEnd => break,
            Status::Ok | Status::BufError => {
                if decoder.total_in() == before_in && decoder.total_out() == before_out {
                    return Err(InflateError::Truncated { framing });
                }
            }
        }
    }
    let consumed = usize::try_from(decoder.total_in()).unwrap_or(usize::MAX);
    if consumed < input.len() {
        return Err(InflateError::TrailingData {
            framing,
            count: input.len() - consumed,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use std::io::Write;

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }
    fn raw(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn round_trips_and_framing_is_enforced() {
        let data = b"hello hello hello hello world".repeat(50);
        assert_eq!(inflate_zlib(&zlib(&data)).unwrap(), data);
        assert_eq!(inflate_raw(&raw(&data)).unwrap(), data);
        assert!(matches!(
            inflate_raw(&zlib(&data)),
            Err(InflateError::Corrupt { .. } | InflateError::TrailingData { .. })
        ));
        assert!(inflate_zlib(&raw(&data)).is_err());
        let z = zlib(&data);
        assert!(matches!(
            inflate_zlib(&z[..z.len() - 3]),
            Err(InflateError::Truncated { .. })
        ));
        let mut trailing = raw(&data);
        trailing.extend_from_slice(b"xyz");
        assert!(matches!(
            inflate_raw(&trailing),
            Err(InflateError::TrailingData { count: 3, .. })
        ));
        assert!(matches!(inflate_zlib(&[]), Err(InflateError::Empty)));
    }

    #[test]
    fn bombs_are_refused() {
        let data = vec![0u8; MAX_INFLATED_LEN + 10];
        assert!(matches!(
            inflate_zlib(&zlib(&data)),
            Err(InflateError::TooLarge)
        ));
    }
}
