//! The path by which `verify.rs` reaches the base58btc decoder, which is
//! [`crate::multicodec::decode_base58`] (this module goes once `verify.rs` calls it directly).

/// Decodes base58btc text (without the multibase `z`); `None` for a character outside the
/// alphabet or text longer than [`crate::multicodec::MAX_BASE58_LEN`].
pub(crate) fn decode(text: &str) -> Option<Vec<u8>> {
    crate::multicodec::decode_base58(text).ok()
}
