//! The text and byte strings of one CBOR item, in order, without building the item: a walk
//! of `ciborium`'s deserializer that keeps the strings (map keys, array items, tagged items
//! included) and skips every other value, so a blob that merely looks like a long CBOR array
//! of small integers costs time, not memory.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, VariantAccess as _, Visitor};

/// A string found in a CBOR item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CborString {
    /// A text string.
    Text(String),
    /// A byte string.
    Bytes(Vec<u8>),
}

/// The strings of one CBOR item (deserialize it with `ciborium::from_reader`).
#[derive(Debug, Default)]
pub(crate) struct CborStrings(pub(crate) Vec<CborString>);

impl<'de> de::Deserialize<'de> for CborStrings {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<CborStrings, D::Error> {
        let mut strings = Vec::new();
        Collect(&mut strings).deserialize(deserializer)?;
        Ok(CborStrings(strings))
    }
}

/// Adds the strings of the next item to the vector.
struct Collect<'a>(&'a mut Vec<CborString>);

impl<'de> DeserializeSeed<'de> for Collect<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Collect<'_> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a CBOR item")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<(), E> {
        self.0.push(CborString::Text(text.to_owned()));
        Ok(())
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<(), E> {
        self.0.push(CborString::Text(text));
        Ok(())
    }

    fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<(), E> {
        self.0.push(CborString::Bytes(bytes.to_vec()));
        Ok(())
    }

    fn visit_byte_buf<E: de::Error>(self, bytes: Vec<u8>) -> Result<(), E> {
        self.0.push(CborString::Bytes(bytes));
        Ok(())
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut items: A) -> Result<(), A::Error> {
        while items.next_element_seed(Collect(&mut *self.0))?.is_some() {}
        Ok(())
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut entries: A) -> Result<(), A::Error> {
        while entries.next_key_seed(Collect(&mut *self.0))?.is_some() {
            entries.next_value_seed(Collect(&mut *self.0))?;
        }
        Ok(())
    }

    /// `ciborium` presents a tagged item as an enum whose variant names the tag.
    fn visit_enum<A: de::EnumAccess<'de>>(self, tagged: A) -> Result<(), A::Error> {
        let (IgnoredAny, item) = tagged.variant::<IgnoredAny>()?;
        item.newtype_variant_seed(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ciborium::Value as Cbor;

    fn strings_of(item: &Cbor) -> Vec<CborString> {
        let mut bytes = Vec::new();
        ciborium::into_writer(item, &mut bytes).unwrap();
        ciborium::from_reader::<CborStrings, _>(bytes.as_slice())
            .unwrap()
            .0
    }

    #[test]
    fn the_strings_of_nested_maps_arrays_and_tags_are_collected_in_order() {
        let item = Cbor::Tag(
            18,
            Box::new(Cbor::Array(vec![
                Cbor::Bytes(vec![1, 2]),
                Cbor::Map(vec![(Cbor::Text("k".into()), Cbor::Integer(7.into()))]),
                Cbor::Tag(1, Box::new(Cbor::Integer(1_600_000_000.into()))),
                Cbor::Array(vec![Cbor::Null, Cbor::Bool(true), Cbor::Float(1.5)]),
                Cbor::Tag(24, Box::new(Cbor::Bytes(vec![3]))),
                Cbor::Text("end".into()),
            ])),
        );
        assert_eq!(
            strings_of(&item),
            vec![
                CborString::Bytes(vec![1, 2]),
                CborString::Text("k".into()),
                CborString::Bytes(vec![3]),
                CborString::Text("end".into()),
            ]
        );
    }

    #[test]
    fn a_long_array_of_integers_holds_no_string() {
        let item = Cbor::Array((0..10_000).map(|n| Cbor::Integer(n.into())).collect());
        assert!(strings_of(&item).is_empty());
    }

    #[test]
    fn a_truncated_item_is_an_error() {
        let mut bytes = Vec::new();
        ciborium::into_writer(&Cbor::Text("a longer text".into()), &mut bytes).unwrap();
        bytes.pop();
        assert!(ciborium::from_reader::<CborStrings, _>(bytes.as_slice()).is_err());
    }
}
