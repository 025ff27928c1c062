//! Bounded decompression with explicit stream framing: zlib (RFC 1950: the `CC1` envelope and
//! EU DCC), raw DEFLATE (RFC 1951: SMART Health Cards) and GZIP (RFC 1952: Bitstring Status
//! Lists, [`crate::status_list`]).
//!
//! The one inflate of Crosscode. The caller gives the largest output it accepts (a QR code holds
//! under 3 KiB, so a limit of tens of KiB leaves room and refuses decompression bombs; a status
//! list a few MiB); the output never grows past it. The stream must be exactly one complete
//! stream of the expected framing: a wrong header or checksum, a truncated stream and bytes
//! after its end are typed errors. A GZIP input is exactly one member (RFC 1952 §2.2): the
//! 10-byte header (`1f 8b`, method 8, no reserved flag bits) with its optional `FEXTRA`,
//! `FNAME`, `FCOMMENT` and `FHCRC` (checked) fields, the DEFLATE blocks, then the CRC-32 and
//! the length modulo 2^32 of the output (both checked).

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
        /// `zlib`, `raw DEFLATE` or `gzip`.
        framing: &'static str,
        /// The decoder's message.
        message: String,
    },
    /// The stream ended before its final block.
    #[error("truncated {framing} stream")]
    Truncated {
        /// `zlib`, `raw DEFLATE` or `gzip`.
        framing: &'static str,
    },
    /// Bytes follow the end of the compressed stream.
    #[error("{count} trailing bytes after the {framing} stream")]
    TrailingData {
        /// `zlib`, `raw DEFLATE` or `gzip`.
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

/// Inflates one GZIP (RFC 1952) member of at most `limit` output bytes, checking its header,
/// CRC-32 and length trailer; a second member or other bytes after the first are refused.
pub fn inflate_gzip(input: &[u8], limit: usize) -> Result<Vec<u8>, InflateError> {
    const FRAMING: &str = "gzip";
    const FHCRC: u8 = 0x02;
    const FEXTRA: u8 = 0x04;
    const FNAME: u8 = 0x08;
    const FCOMMENT: u8 = 0x10;
    const RESERVED: u8 = 0xe0;
    let corrupt = |message: &str| InflateError::Corrupt {
        framing: FRAMING,
        message: message.into(),
    };
    let truncated = InflateError::Truncated { framing: FRAMING };
    if input.is_empty() {
        return Err(InflateError::Empty);
    }
    let header = input.get(..10).ok_or(truncated.clone())?;
    if header[..2] != [0x1f, 0x8b] {
        return Err(corrupt("not a gzip stream (magic bytes)"));
    }
    if header[2] != 8 {
        return Err(corrupt("compression method is not DEFLATE"));
    }
    let flags = header[3];
    if flags & RESERVED != 0 {
        return Err(corrupt("reserved header flags set"));
    }
    let mut at = 10usize;
    if flags & FEXTRA != 0 {
        let length = input.get(at..at + 2).ok_or(truncated.clone())?;
        let length = usize::from(u16::from_le_bytes([length[0], length[1]]));
        at += 2;
        input.get(at..at + length).ok_or(truncated.clone())?;
        at += length;
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let end = input
                .get(at..)
                .and_then(|rest| rest.iter().position(|&byte| byte == 0))
                .ok_or(truncated.clone())?;
            at += end + 1;
        }
    }
    if flags & FHCRC != 0 {
        let stored = input.get(at..at + 2).ok_or(truncated.clone())?;
        let mut crc = flate2::Crc::new();
        crc.update(&input[..at]);
        if u32::from(u16::from_le_bytes([stored[0], stored[1]])) != crc.sum() & 0xffff {
            return Err(corrupt("header CRC mismatch"));
        }
        at += 2;
    }
    let body = input.get(at..).unwrap_or_default();
    if body.is_empty() {
        return Err(truncated);
    }
    let (out, consumed) = inflate_stream(body, false, FRAMING, limit)?;
    let rest = body.get(consumed..).unwrap_or_default();
    let trailer = rest.get(..8).ok_or(truncated)?;
    let mut crc = flate2::Crc::new();
    crc.update(&out);
    if u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]) != crc.sum() {
        return Err(corrupt("CRC-32 mismatch"));
    }
    // ISIZE: the output length modulo 2^32 (truncation intended).
    #[allow(
        clippy::cast_possible_truncation,
        reason = "RFC 1952 ISIZE is modulo 2^32"
    )]
    let size = out.len() as u32;
    if u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]) != size {
        return Err(corrupt("length trailer mismatch"));
    }
    if rest.len() > 8 {
        return Err(InflateError::TrailingData {
            framing: FRAMING,
            count: rest.len() - 8,
        });
    }
    Ok(out)
}

fn inflate(input: &[u8], zlib_header: bool, limit: usize) -> Result<Vec<u8>, InflateError> {
    let framing = if zlib_header { "zlib" } else { "raw DEFLATE" };
    if input.is_empty() {
        return Err(InflateError::Empty);
    }
    let (out, consumed) = inflate_stream(input, zlib_header, framing, limit)?;
    if consumed < input.len() {
        return Err(InflateError::TrailingData {
            framing,
            count: input.len() - consumed,
        });
    }
    Ok(out)
}

/// Inflates the one stream at the start of `input`; answers the output and how many input
/// bytes the stream took (bytes after it are the caller's to judge).
fn inflate_stream(
    input: &[u8],
    zlib_header: bool,
    framing: &'static str,
    limit: usize,
) -> Result<(Vec<u8>, usize), InflateError> {
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
    Ok((out, consumed.min(input.len())))
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

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn a_gzip_member_round_trips_with_its_optional_header_fields() {
        let data = b"status list status list".repeat(40);
        assert_eq!(inflate_gzip(&gzip(&data), LIMIT).unwrap(), data);
        let mut e = flate2::GzBuilder::new()
            .filename("list.bin")
            .comment("a comment")
            .extra(vec![1, 2, 3])
            .write(Vec::new(), Compression::default());
        e.write_all(&data).unwrap();
        let with_fields = e.finish().unwrap();
        assert_eq!(inflate_gzip(&with_fields, LIMIT).unwrap(), data);
    }

    #[test]
    fn a_broken_gzip_member_is_a_typed_error() {
        let data = b"status list".repeat(40);
        let good = gzip(&data);
        assert_eq!(inflate_gzip(&[], LIMIT), Err(InflateError::Empty));
        assert!(matches!(
            inflate_gzip(&good[..5], LIMIT),
            Err(InflateError::Truncated { framing: "gzip" })
        ));
        assert!(matches!(
            inflate_gzip(&good[..good.len() - 4], LIMIT),
            Err(InflateError::Truncated { framing: "gzip" })
        ));
        assert!(matches!(
            inflate_gzip(&zlib(&data), LIMIT),
            Err(InflateError::Corrupt {
                framing: "gzip",
                ..
            })
        ));
        let mut bad_method = good.clone();
        bad_method[2] = 7;
        assert!(matches!(
            inflate_gzip(&bad_method, LIMIT),
            Err(InflateError::Corrupt { .. })
        ));
        let mut reserved = good.clone();
        reserved[3] = 0x80;
        assert!(matches!(
            inflate_gzip(&reserved, LIMIT),
            Err(InflateError::Corrupt { .. })
        ));
        let mut bad_crc = good.clone();
        let at = bad_crc.len() - 8;
        bad_crc[at] ^= 1;
        assert_eq!(
            inflate_gzip(&bad_crc, LIMIT),
            Err(InflateError::Corrupt {
                framing: "gzip",
                message: "CRC-32 mismatch".into()
            })
        );
        let mut bad_size = good.clone();
        let at = bad_size.len() - 1;
        bad_size[at] ^= 1;
        assert!(matches!(
            inflate_gzip(&bad_size, LIMIT),
            Err(InflateError::Corrupt { .. })
        ));
        let mut two_members = good.clone();
        two_members.extend_from_slice(&good);
        assert_eq!(
            inflate_gzip(&two_members, LIMIT),
            Err(InflateError::TrailingData {
                framing: "gzip",
                count: good.len()
            })
        );
    }

    #[test]
    fn a_gzip_bomb_is_refused_at_the_limit() {
        let bomb = gzip(&vec![0u8; 4 * LIMIT]);
        assert!(bomb.len() < LIMIT / 64);
        assert_eq!(
            inflate_gzip(&bomb, LIMIT),
            Err(InflateError::TooLarge { limit: LIMIT })
        );
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
