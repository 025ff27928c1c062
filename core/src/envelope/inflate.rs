//! Bounded decompression of QR payloads with explicit stream framing: zlib (RFC 1950: the `CC1`
//! envelope and EU DCC) and raw DEFLATE (RFC 1951: SMART Health Cards).
//!
//! The one inflate of Crosscode. The caller gives the largest output it accepts (a QR code holds
//! under 3 KiB, so a limit of tens of KiB leaves room and refuses decompression bombs); the
//! output never grows past it. The stream must be exactly one complete stream of the expected
//! framing: a wrong header or checksum, a truncated stream and bytes after its end are typed
//! errors.

use flate2::{Decompress, FlushDecompress, Status};

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
    /// The output would exceed the caller's limit.
    #[error("decompressed payload exceeds {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
}

/// Inflates a zlib (RFC 1950) stream of at most `limit` output bytes, checking its header and
/// Adler-32 trailer.
pub fn inflate_zlib(input: &[u8], limit: usize) -> Result<Vec<u8>, InflateError> {
    inflate(input, true, limit)
}

/// Inflates a raw DEFLATE (RFC 1951) stream of at most `limit` output bytes; a zlib-wrapped
/// stream is rejected.
pub fn inflate_raw(input: &[u8], limit: usize) -> Result<Vec<u8>, InflateError> {
    inflate(input, false, limit)
}

fn inflate(input: &[u8], zlib_header: bool, limit: usize) -> Result<Vec<u8>, InflateError> {
    let framing = if zlib_header { "zlib" } else { "raw DEFLATE" };
    if input.is_empty() {
        return Err(InflateError::Empty);
    }
    let mut decoder = Decompress::new(zlib_header);
    let too_large = InflateError::TooLarge { limit };
    let mut out: Vec<u8> =
        Vec::with_capacity(input.len().saturating_mul(3).min(limit.saturating_add(1)));
    loop {
        let consumed = usize::try_from(decoder.total_in()).unwrap_or(usize::MAX);
        let rest = input.get(consumed..).unwrap_or_default();
        if out.len() == out.capacity() {
            // `out` holds at most `limit` bytes here (more is refused below). Room for one byte
            // past the limit, so that output of exactly `limit` bytes reaches its stream end
            // and longer output is seen.
            out.reserve_exact(out.len().max(1024).min(limit.saturating_add(1) - out.len()));
        }
        let before_in = decoder.total_in();
        let before_out = decoder.total_out();
        let status = decoder
            .decompress_vec(rest, &mut out, FlushDecompress::None)
            .map_err(|e| InflateError::Corrupt {
                framing,
                message: e.to_string(),
            })?;
        if out.len() > limit {
            return Err(too_large);
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

    const LIMIT: usize = 64 * 1024;

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
    fn round_trips_and_the_framing_is_enforced() {
        let data = b"hello hello hello hello world".repeat(50);
        assert_eq!(inflate_zlib(&zlib(&data), LIMIT).unwrap(), data);
        assert_eq!(inflate_raw(&raw(&data), LIMIT).unwrap(), data);
        assert!(matches!(
            inflate_raw(&zlib(&data), LIMIT),
            Err(InflateError::Corrupt { .. } | InflateError::TrailingData { .. })
        ));
        assert!(inflate_zlib(&raw(&data), LIMIT).is_err());
        let z = zlib(&data);
        assert!(matches!(
            inflate_zlib(&z[..z.len() - 3], LIMIT),
            Err(InflateError::Truncated { .. })
        ));
        let mut trailing = raw(&data);
        trailing.extend_from_slice(b"xyz");
        assert!(matches!(
            inflate_raw(&trailing, LIMIT),
            Err(InflateError::TrailingData { count: 3, .. })
        ));
        assert!(matches!(inflate_zlib(&[], LIMIT), Err(InflateError::Empty)));
    }

    #[test]
    fn output_past_the_limit_is_refused_and_output_at_the_limit_is_not() {
        let data = vec![0u8; LIMIT + 10];
        assert_eq!(
            inflate_zlib(&zlib(&data), LIMIT),
            Err(InflateError::TooLarge { limit: LIMIT })
        );
        assert_eq!(
            inflate_raw(&raw(&data), LIMIT),
            Err(InflateError::TooLarge { limit: LIMIT })
        );
        assert_eq!(inflate_zlib(&zlib(&data), LIMIT + 10).unwrap(), data);
        assert_eq!(
            inflate_zlib(&zlib(&data[..LIMIT]), LIMIT).unwrap().len(),
            LIMIT
        );
    }
}
