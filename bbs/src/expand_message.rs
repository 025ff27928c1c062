//! `expand_message` of RFC 9380 §5.3: `expand_message_xmd` with SHA-256 and
//! `expand_message_xof` with SHAKE-256.

use sha2::{Digest, Sha256};
use sha3::Shake256;
use sha3::digest::{ExtendableOutput, Update, XofReader};

use crate::error::BbsError;

/// Longest domain separation tag accepted (the draft rejects longer ones instead of hashing them).
pub const MAX_DST_LENGTH: usize = 255;

/// `expand_message_xmd(msg, dst, len_in_bytes)` with SHA-256 (RFC 9380 §5.3.1). The message is
/// given as parts that are concatenated, to avoid copying.
pub fn expand_message_xmd_sha256(
    msg: &[&[u8]],
    dst: &[u8],
    len_in_bytes: usize,
) -> Result<Vec<u8>, BbsError> {
    const B_IN_BYTES: usize = 32;
    const S_IN_BYTES: usize = 64;
    if dst.len() > MAX_DST_LENGTH {
        return Err(BbsError::DstTooLong { length: dst.len() });
    }
    let ell = len_in_bytes.div_ceil(B_IN_BYTES);
    if ell > 255 || len_in_bytes > 65535 || len_in_bytes == 0 {
        return Err(BbsError::ExpandLengthTooLarge {
            length: len_in_bytes,
        });
    }
    let dst_len = [dst.len() as u8];
    let len_bytes = (len_in_bytes as u16).to_be_bytes();

    let mut hasher = Sha256::new();
    Digest::update(&mut hasher, [0u8; S_IN_BYTES]);
    for part in msg {
        Digest::update(&mut hasher, part);
    }
    Digest::update(&mut hasher, len_bytes);
    Digest::update(&mut hasher, [0u8]);
    Digest::update(&mut hasher, dst);
    Digest::update(&mut hasher, dst_len);
    let b0: [u8; B_IN_BYTES] = hasher.finalize().into();

    let mut out = Vec::with_capacity(ell * B_IN_BYTES);
    let mut previous = [0u8; B_IN_BYTES];
    for i in 1..=ell {
        let mut input = [0u8; B_IN_BYTES];
        for ((slot, b0_byte), prev_byte) in input.iter_mut().zip(b0.iter()).zip(previous.iter()) {
            *slot = if i == 1 {
                *b0_byte
            } else {
                b0_byte ^ prev_byte
            };
        }
        let mut hasher = Sha256::new();
        Digest::update(&mut hasher, input);
        Digest::update(&mut hasher, [i as u8]);
        Digest::update(&mut hasher, dst);
        Digest::update(&mut hasher, dst_len);
        previous = hasher.finalize().into();
        out.extend_from_slice(&previous);
    }
    out.truncate(len_in_bytes);
    Ok(out)
}

/// `expand_message_xof(msg, dst, len_in_bytes)` with SHAKE-256 (RFC 9380 §5.3.2). The message
/// is given as parts that are concatenated, to avoid copying.
pub fn expand_message_xof_shake256(
    msg: &[&[u8]],
    dst: &[u8],
    len_in_bytes: usize,
) -> Result<Vec<u8>, BbsError> {
    if dst.len() > MAX_DST_LENGTH {
        return Err(BbsError::DstTooLong { length: dst.len() });
    }
    if len_in_bytes > 65535 || len_in_bytes == 0 {
        return Err(BbsError::ExpandLengthTooLarge {
            length: len_in_bytes,
        });
    }
    let mut hasher = Shake256::default();
    for part in msg {
        hasher.update(part);
    }
    hasher.update(&(len_in_bytes as u16).to_be_bytes());
    hasher.update(dst);
    hasher.update(&[dst.len() as u8]);
    let mut out = vec![0u8; len_in_bytes];
    hasher.finalize_xof().read(&mut out);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 9380 Appendix K.1 (expand_message_xmd, SHA-256), DST "QUUX-V01-CS02-with-expander-SHA256-128".
    #[test]
    fn xmd_rfc9380_vector() {
        let dst = b"QUUX-V01-CS02-with-expander-SHA256-128";
        let out = expand_message_xmd_sha256(&[b""], dst, 0x20).unwrap();
        assert_eq!(
            hex(&out),
            "68a985b87eb6b46952128911f2a4412bbc302a9d759667f87f7a21d803f07235"
        );
        let out = expand_message_xmd_sha256(&[b"ab", b"c"], dst, 0x20).unwrap();
        assert_eq!(
            hex(&out),
            "d8ccab23b5985ccea865c6c97b6e5b8350e794e603b4b97902f53a8a0d605615"
        );
    }

    // RFC 9380 Appendix K.6 (expand_message_xof, SHAKE256), DST "QUUX-V01-CS02-with-expander-SHAKE256".
    #[test]
    fn xof_rfc9380_vector() {
        let dst = b"QUUX-V01-CS02-with-expander-SHAKE256";
        let out = expand_message_xof_shake256(&[b""], dst, 0x20).unwrap();
        assert_eq!(
            hex(&out),
            "2ffc05c48ed32b95d72e807f6eab9f7530dd1c2f013914c8fed38c5ccc15ad76"
        );
    }

    #[test]
    fn rejects_long_dst_and_lengths() {
        let long = [0u8; 256];
        assert!(matches!(
            expand_message_xmd_sha256(&[b"x"], &long, 32),
            Err(BbsError::DstTooLong { length: 256 })
        ));
        assert!(matches!(
            expand_message_xof_shake256(&[b"x"], &long, 32),
            Err(BbsError::DstTooLong { length: 256 })
        ));
        assert!(matches!(
            expand_message_xmd_sha256(&[b"x"], b"d", 255 * 32 + 1),
            Err(BbsError::ExpandLengthTooLarge { .. })
        ));
        assert!(matches!(
            expand_message_xof_shake256(&[b"x"], b"d", 65536),
            Err(BbsError::ExpandLengthTooLarge { .. })
        ));
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}
