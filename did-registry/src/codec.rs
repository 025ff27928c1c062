//! The canonical binary encoding of everything the chain signs, hashes or stores.
//!
//! One value has exactly one encoding (see `docs/registry.md`):
//! - integers are fixed width, big-endian (`u8`, `u16`, `u32`, `u64`);
//! - `bool` is one byte, `0` or `1`;
//! - byte strings and UTF-8 strings are a `u32` length followed by the bytes;
//! - 32-byte hashes are written raw (no length);
//! - sequences are a `u32` element count followed by the elements;
//! - `Option<T>` is a `0` byte, or a `1` byte followed by `T`;
//! - enums are a `u8` tag followed by the variant's fields in declaration order.
//!
//! Decoding is strict: an unknown tag, a bool other than 0/1, invalid UTF-8, a length past the
//! end of the input or bytes left over after the value are errors, never a panic. The module uses
//! only `core` and `alloc` so that the offline proof verifier can run without `std`.

use alloc::string::String;
use alloc::vec::Vec;

/// Errors of decoding the canonical binary encoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input ended inside a value.
    #[error("unexpected end of input while reading {what}")]
    UnexpectedEnd {
        /// What was being read.
        what: &'static str,
    },
    /// Bytes are left after the value.
    #[error("{count} trailing bytes after the value")]
    TrailingBytes {
        /// How many bytes are left.
        count: usize,
    },
    /// An enum tag is not one of the known variants.
    #[error("unknown {what} tag {tag}")]
    UnknownTag {
        /// The enum being read.
        what: &'static str,
        /// The tag found.
        tag: u8,
    },
    /// A format version this code does not know.
    #[error("unsupported {what} version {version}")]
    UnsupportedVersion {
        /// The structure being read.
        what: &'static str,
        /// The version found.
        version: u8,
    },
    /// A boolean byte other than 0 or 1.
    #[error("invalid boolean byte {byte}")]
    InvalidBool {
        /// The byte found.
        byte: u8,
    },
    /// A string is not valid UTF-8.
    #[error("invalid UTF-8 in {what}")]
    InvalidUtf8 {
        /// What was being read.
        what: &'static str,
    },
    /// A length or count exceeds the limit for the field.
    #[error("{what} too long: {len} (limit {limit})")]
    TooLong {
        /// The field.
        what: &'static str,
        /// The length found.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// A value decodes but is not valid (a bad DID, key or name).
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// The field.
        what: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
}

/// Appends values in the canonical encoding.
#[derive(Debug, Default, Clone)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// The bytes written so far.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// Writes one byte.
    pub fn u8(&mut self, value: u8) {
        self.buf.push(value);
    }

    /// Writes a `u16`, big-endian.
    pub fn u16(&mut self, value: u16) {
        self.buf.extend_from_slice(&value.to_be_bytes());
    }

    /// Writes a `u32`, big-endian.
    pub fn u32(&mut self, value: u32) {
        self.buf.extend_from_slice(&value.to_be_bytes());
    }

    /// Writes a `u64`, big-endian.
    pub fn u64(&mut self, value: u64) {
        self.buf.extend_from_slice(&value.to_be_bytes());
    }

    /// Writes a boolean as `0` or `1`.
    pub fn bool(&mut self, value: bool) {
        self.buf.push(u8::from(value));
    }

    /// Writes a length or count as `u32` (lengths above `u32::MAX` are clamped; no value the
    /// chain accepts comes near that, and the decoder refuses the clamped form).
    pub fn len(&mut self, len: usize) {
        self.u32(u32::try_from(len).unwrap_or(u32::MAX));
    }

    /// Writes a length-prefixed byte string.
    pub fn bytes(&mut self, value: &[u8]) {
        self.len(value.len());
        self.buf.extend_from_slice(value);
    }

    /// Writes a length-prefixed UTF-8 string.
    pub fn str(&mut self, value: &str) {
        self.bytes(value.as_bytes());
    }

    /// Writes 32 raw bytes (a hash).
    pub fn hash(&mut self, value: &[u8; 32]) {
        self.buf.extend_from_slice(value);
    }

    /// Writes raw bytes with no length (only for fixed-size fields).
    pub fn raw(&mut self, value: &[u8]) {
        self.buf.extend_from_slice(value);
    }

    /// Writes a count-prefixed sequence.
    pub fn seq<T: Encode>(&mut self, items: &[T]) {
        self.len(items.len());
        for item in items {
            item.encode(self);
        }
    }

    /// Writes an optional value.
    pub fn option<T: Encode>(&mut self, value: Option<&T>) {
        match value {
            None => self.u8(0),
            Some(inner) => {
                self.u8(1);
                inner.encode(self);
            }
        }
    }
}

/// Reads values in the canonical encoding from a byte slice.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    input: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `input`.
    pub fn new(input: &'a [u8]) -> Self {
        Self { input }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.input.len()
    }

    /// Fails unless all input has been read.
    pub fn finish(&self) -> Result<(), DecodeError> {
        if self.input.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes {
                count: self.input.len(),
            })
        }
    }

    /// Takes `len` raw bytes.
    pub fn take(&mut self, len: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        if len > self.input.len() {
            return Err(DecodeError::UnexpectedEnd { what });
        }
        let (head, tail) = self.input.split_at(len);
        self.input = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], DecodeError> {
        let bytes = self.take(N, what)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    /// Reads one byte.
    pub fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        Ok(self.array::<1>(what)?[0])
    }

    /// Reads a big-endian `u16`.
    pub fn u16(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    /// Reads a big-endian `u32`.
    pub fn u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    /// Reads a big-endian `u64`.
    pub fn u64(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array(what)?))
    }

    /// Reads a boolean (`0` or `1`).
    pub fn bool(&mut self, what: &'static str) -> Result<bool, DecodeError> {
        match self.u8(what)? {
            0 => Ok(false),
            1 => Ok(true),
            byte => Err(DecodeError::InvalidBool { byte }),
        }
    }

    /// Reads a length or count, at most `limit`.
    pub fn len(&mut self, what: &'static str, limit: usize) -> Result<usize, DecodeError> {
        let len = usize::try_from(self.u32(what)?).unwrap_or(usize::MAX);
        if len > limit {
            return Err(DecodeError::TooLong { what, len, limit });
        }
        Ok(len)
    }

    /// Reads a length-prefixed byte string of at most `limit` bytes.
    pub fn bytes(&mut self, what: &'static str, limit: usize) -> Result<Vec<u8>, DecodeError> {
        let len = self.len(what, limit)?;
        Ok(self.take(len, what)?.to_vec())
    }

    /// Reads a length-prefixed UTF-8 string of at most `limit` bytes.
    pub fn str(&mut self, what: &'static str, limit: usize) -> Result<String, DecodeError> {
        let bytes = self.bytes(what, limit)?;
        String::from_utf8(bytes).map_err(|_| DecodeError::InvalidUtf8 { what })
    }

    /// Reads 32 raw bytes.
    pub fn hash(&mut self, what: &'static str) -> Result<[u8; 32], DecodeError> {
        self.array(what)
    }

    /// Reads a count-prefixed sequence of at most `limit` elements.
    pub fn seq<T: Decode>(
        &mut self,
        what: &'static str,
        limit: usize,
    ) -> Result<Vec<T>, DecodeError> {
        let count = self.len(what, limit)?;
        // Every element takes at least one byte: a count beyond the input is refused before
        // anything is allocated for it.
        if count > self.input.len() {
            return Err(DecodeError::UnexpectedEnd { what });
        }
        let mut items = Vec::with_capacity(count);
        for _ in 0..count {
            items.push(T::decode(self)?);
        }
        Ok(items)
    }

    /// Reads an optional value.
    pub fn option<T: Decode>(&mut self, what: &'static str) -> Result<Option<T>, DecodeError> {
        match self.u8(what)? {
            0 => Ok(None),
            1 => Ok(Some(T::decode(self)?)),
            tag => Err(DecodeError::UnknownTag { what, tag }),
        }
    }
}

/// A value with a canonical encoding.
pub trait Encode {
    /// Appends the canonical encoding of `self`.
    fn encode(&self, writer: &mut Writer);

    /// The canonical encoding of `self`.
    fn to_bytes(&self) -> Vec<u8> {
        let mut writer = Writer::new();
        self.encode(&mut writer);
        writer.into_bytes()
    }
}

/// A value that decodes from its canonical encoding.
pub trait Decode: Sized {
    /// Reads one value.
    fn decode(reader: &mut Reader<'_>) -> Result<Self, DecodeError>;

    /// Decodes a whole byte string (no trailing bytes allowed).
    fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut reader = Reader::new(bytes);
        let value = Self::decode(&mut reader)?;
        reader.finish()?;
        Ok(value)
    }
}

impl Encode for [u8; 32] {
    fn encode(&self, writer: &mut Writer) {
        writer.hash(self);
    }
}

impl Decode for [u8; 32] {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        reader.hash("hash")
    }
}

impl Encode for u64 {
    fn encode(&self, writer: &mut Writer) {
        writer.u64(*self);
    }
}

impl Decode for u64 {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        reader.u64("u64")
    }
}

/// Limit of short names (fragments, types, jurisdictions): 128 bytes.
pub const MAX_NAME_LEN: usize = 128;

impl Encode for String {
    fn encode(&self, writer: &mut Writer) {
        writer.str(self);
    }
}

impl Decode for String {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        reader.str("name", MAX_NAME_LEN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_fixed_width_big_endian() {
        let mut w = Writer::new();
        w.u16(0x0102);
        w.u32(0x03040506);
        w.u64(7);
        w.bool(true);
        assert_eq!(
            w.into_bytes(),
            [1, 2, 3, 4, 5, 6, 0, 0, 0, 0, 0, 0, 0, 7, 1]
        );
    }

    #[test]
    fn strict_decoding_errors() {
        assert!(matches!(
            Reader::new(&[2]).bool("b"),
            Err(DecodeError::InvalidBool { byte: 2 })
        ));
        assert!(matches!(
            Reader::new(&[0, 0]).u32("n"),
            Err(DecodeError::UnexpectedEnd { .. })
        ));
        assert!(matches!(
            Reader::new(&[0, 0, 0, 5, 1]).bytes("b", 100),
            Err(DecodeError::UnexpectedEnd { .. })
        ));
        assert!(matches!(
            Reader::new(&[0, 0, 0, 5, 1, 2, 3, 4, 5]).bytes("b", 4),
            Err(DecodeError::TooLong {
                len: 5,
                limit: 4,
                ..
            })
        ));
        assert!(matches!(
            Reader::new(&[0, 0, 0, 2, 0xff, 0xfe]).str("s", 10),
            Err(DecodeError::InvalidUtf8 { .. })
        ));
        assert!(matches!(
            Reader::new(&[2]).option::<u64>("o"),
            Err(DecodeError::UnknownTag { tag: 2, .. })
        ));
        assert!(matches!(
            Reader::new(&[0xff, 0xff, 0xff, 0xff]).seq::<u64>("s", usize::MAX),
            Err(DecodeError::UnexpectedEnd { .. })
        ));
        assert!(matches!(
            u64::from_bytes(&[0, 0, 0, 0, 0, 0, 0, 1, 9]),
            Err(DecodeError::TrailingBytes { count: 1 })
        ));
    }

    #[test]
    fn round_trips() {
        let mut w = Writer::new();
        w.str("héllo");
        w.option(Some(&5u64));
        w.option::<u64>(None);
        w.seq(&[1u64, 2, 3]);
        let bytes = w.into_bytes();
        let mut r = Reader::new(&bytes);
        assert_eq!(r.str("s", 10).unwrap(), "héllo");
        assert_eq!(r.option::<u64>("o").unwrap(), Some(5));
        assert_eq!(r.option::<u64>("o").unwrap(), None);
        assert_eq!(r.seq::<u64>("s", 3).unwrap(), vec![1, 2, 3]);
        r.finish().unwrap();
    }
}
