//! The egress guard: personal values are [`PersonalData`], which has no `Serialize`, and a
//! cross-border message is declared with [`cross_border_message!`](crate::cross_border_message),
//! which implements [`CrossBorderMessage`] only when **every field's type** implements
//! [`NoPersonalData`] — a message with a `PersonalData` field (or a type containing one) does
//! not compile.
//!
//! `NoPersonalData` is implemented here for the wire types of the protocol (hashes, DIDs,
//! signatures, time stamps, claim names, status pointers inside a claim-checked credential)
//! and for `Option`/`Vec` of them; `PersonalData<T>` never implements it, and the orphan rule
//! stops any other crate from implementing it for `PersonalData<T>`. `String` and
//! `serde_json::Value` do not implement it either: free text in a message must be a type that
//! says what it holds.

use std::fmt;

use zeroize::Zeroize;

/// A personal value (a name, a birth date, a document number): it stays in its jurisdiction.
/// It has no `Serialize`, no `Display`, and its `Debug` is redacted; it is zeroized on drop.
/// Read it with [`PersonalData::expose`] where the jurisdiction's own code needs it (e.g. to
/// put it in a credential it issues to the holder).
#[derive(Clone, PartialEq, Eq)]
pub struct PersonalData<T: Zeroize>(T);

impl<T: Zeroize> PersonalData<T> {
    /// Wraps a personal value.
    pub fn new(value: T) -> PersonalData<T> {
        PersonalData(value)
    }

    /// The value, for use inside the jurisdiction.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T: Zeroize> Drop for PersonalData<T> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<T: Zeroize> fmt::Debug for PersonalData<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PersonalData(<redacted>)")
    }
}

/// Types whose values hold no personal data (see the module documentation). Implemented for
/// the protocol's wire types; a message declared with
/// [`cross_border_message!`](crate::cross_border_message) requires it of every field.
pub trait NoPersonalData {}

/// A message that crosses a border (between jurisdictions, or between a holder and another
/// jurisdiction's service). Only [`cross_border_message!`](crate::cross_border_message)
/// implements it, after checking every field.
pub trait CrossBorderMessage: NoPersonalData + serde::Serialize {}

/// Declares a cross-border message: the struct as written, plus [`NoPersonalData`] and
/// [`CrossBorderMessage`] — which compile only when every field's type is [`NoPersonalData`].
#[macro_export]
macro_rules! cross_border_message {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $( $(#[$field_meta:meta])* $field_vis:vis $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $( $(#[$field_meta])* $field_vis $field : $ty ),*
        }

        const _: () = {
            fn free_of_personal_data<T: $crate::crossborder::NoPersonalData + ?Sized>() {}
            #[allow(dead_code)]
            fn every_field_is_free_of_personal_data() {
                $( free_of_personal_data::<$ty>(); )*
            }
        };

        impl $crate::crossborder::NoPersonalData for $name {}
        impl $crate::crossborder::CrossBorderMessage for $name {}
    };
}

macro_rules! no_personal_data {
    ($($ty:ty),* $(,)?) => { $(impl NoPersonalData for $ty {})* };
}

no_personal_data!(bool, u8, u16, u32, u64, i64, [u8; 32]);
impl<T: NoPersonalData> NoPersonalData for Option<T> {}
impl<T: NoPersonalData> NoPersonalData for Vec<T> {}
impl NoPersonalData for crate::anchor::AnchorReceipt {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_data_does_not_show_its_value_in_debug() {
        let name = PersonalData::new(String::from("Sentinel Name"));
        assert_eq!(format!("{name:?}"), "PersonalData(<redacted>)");
        assert_eq!(name.expose(), "Sentinel Name");
    }
}
