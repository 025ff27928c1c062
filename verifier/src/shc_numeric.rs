//! SMART Health Card numeric-mode QR content: `shc:/` digits → compact JWS, including the
//! deprecated chunked form `shc:/<index>/<total>/<digits>`.

/// Why the numeric QR content could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumericError {
    /// No digits after the prefix.
    #[error("no numeric content")]
    Empty,
    /// A character other than an ASCII digit.
    #[error("non-digit character at position {position}")]
    NonDigit {
        /// Byte offset in the numeric part.
        position: usize,
    },
    /// An odd number of digits (every character is a digit pair).
    #[error("odd number of digits ({count})")]
    OddLength {
        /// How many digits there are.
        count: usize,
    },
    /// A digit pair above 77 (only `-` (45) to `z` (122) are encodable).
    #[error("digit pair {value} at position {position} is out of range (00..=77)")]
    PairOutOfRange {
        /// The pair's value.
        value: u8,
        /// Byte offset of the pair.
        position: usize,
    },
    /// A malformed chunk header `<index>/<total>/`.
    #[error("malformed chunk header")]
    BadChunkHeader,
    /// Chunks are missing, repeated, or disagree on the total.
    #[error("chunk set incomplete or inconsistent: {0}")]
    ChunkSet(String),
}

/// One scanned QR of a (possibly chunked) SMART Health Card, after the `shc:/` prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumericChunk<'a> {
    /// 1-based chunk index (1 for a single QR).
    pub index: usize,
    /// Number of chunks in the set (1 for a single QR).
    pub total: usize,
    /// The digit pairs.
    pub digits: &'a str,
}

/// Split `[<index>/<total>/]<digits>` (the text after `shc:/`).
pub fn parse_chunk(body: &str) -> Result<NumericChunk<'_>, NumericError> {
    let parts: Vec<&str> = body.split('/').collect();
    match parts.as_slice() {
        [digits] => Ok(NumericChunk {
            index: 1,
            total: 1,
            digits,
        }),
        [index, total, digits] => {
            let index: usize = parse_small(index)?;
            let total: usize = parse_small(total)?;
            if index == 0 || total == 0 || index > total {
                return Err(NumericError::BadChunkHeader);
            }
            Ok(NumericChunk {
                index,
                total,
                digits,
            })
        }
        _ => Err(NumericError::BadChunkHeader),
    }
}

fn parse_small(text: &str) -> Result<usize, NumericError> {
    if text.is_empty() || text.len() > 3 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NumericError::BadChunkHeader);
    }
    text.parse().map_err(|_| NumericError::BadChunkHeader)
}

/// Decode digit pairs: each pair `n` is the character `n + 45`.
pub fn decode_digits(digits: &str) -> Result<String, NumericError> {
    if digits.is_empty() {
        return Err(NumericError::Empty);
    }
    if let Some(position) = digits.bytes().position(|b| !b.is_ascii_digit()) {
        return Err(NumericError::NonDigit { position });
    }
    if !digits.len().is_multiple_of(2) {
        return Err(NumericError::OddLength {
            count: digits.len(),
        });
    }
    let mut out = String::with_capacity(digits.len() / 2);
    for (i, pair) in digits.as_bytes().chunks_exact(2).enumerate() {
        let (hi, lo) = match pair {
            [hi, lo] => (hi - b'0', lo - b'0'),
            _ => {
                return Err(NumericError::OddLength {
                    count: digits.len(),
                });
            }
        };
        let value = hi * 10 + lo;
        if value > 77 {
            return Err(NumericError::PairOutOfRange {
                value,
                position: i * 2,
            });
        }
        out.push(char::from(value + 45));
    }
    Ok(out)
}

/// Reassemble the JWS from one or more chunk bodies (each the text after `shc:/`), in any order.
pub fn decode_chunks(bodies: &[&str]) -> Result<String, NumericError> {
    let mut chunks = bodies
        .iter()
        .map(|b| parse_chunk(b))
        .collect::<Result<Vec<_>, _>>()?;
    let total = chunks.first().map(|c| c.total).ok_or(NumericError::Empty)?;
    if chunks.iter().any(|c| c.total != total) {
        return Err(NumericError::ChunkSet(
            "chunks disagree on the total".into(),
        ));
    }
    if chunks.len() != total {
        return Err(NumericError::ChunkSet(format!(
            "{} of {total} chunks present",
            chunks.len()
        )));
    }
    chunks.sort_by_key(|c| c.index);
    let mut jws = String::new();
    for (expected, chunk) in (1..).zip(&chunks) {
        if chunk.index != expected {
            return Err(NumericError::ChunkSet(format!(
                "chunk {expected} missing or repeated"
            )));
        }
        jws.push_str(&decode_digits(chunk.digits)?);
    }
    Ok(jws)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_pairs_and_rejects_bad_ones() {
        assert_eq!(decode_digits("5676").unwrap(), "ey");
        assert!(matches!(
            decode_digits("567"),
            Err(NumericError::OddLength { count: 3 })
        ));
        assert!(matches!(
            decode_digits("5678"),
            Err(NumericError::PairOutOfRange {
                value: 78,
                position: 2
            })
        ));
        assert!(matches!(
            decode_digits("56a6"),
            Err(NumericError::NonDigit { position: 2 })
        ));
        assert!(matches!(decode_digits(""), Err(NumericError::Empty)));
    }

    #[test]
    fn chunks_reassemble_in_any_order() {
        assert_eq!(decode_chunks(&["2/2/76", "1/2/56"]).unwrap(), "ey");
        assert!(matches!(
            decode_chunks(&["1/2/56"]),
            Err(NumericError::ChunkSet(_))
        ));
        assert!(matches!(
            decode_chunks(&["1/2/56", "1/2/76"]),
            Err(NumericError::ChunkSet(_))
        ));
        assert!(matches!(
            decode_chunks(&["0/2/56"]),
            Err(NumericError::BadChunkHeader)
        ));
        assert!(matches!(
            decode_chunks(&["1/x/56"]),
            Err(NumericError::BadChunkHeader)
        ));
    }
}
