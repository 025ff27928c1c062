//! A fast base58btc decoder for `proofValue` (the `bs58` crate decodes digit by digit; this
//! one folds five digits at a time into 32-bit limbs, several times faster for a 64-byte
//! signature).

/// The value of each ASCII byte as a base58btc digit (Bitcoin alphabet), or 0xff.
const DIGITS: [u8; 128] = {
    let alphabet = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let mut table = [0xff_u8; 128];
    let mut index = 0;
    while index < alphabet.len() {
        table[alphabet[index] as usize] = index as u8;
        index += 1;
    }
    table
};

/// Decodes base58btc text (without the multibase `z`); `None` for a character outside the
/// alphabet.
pub(crate) fn decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let leading_zeros = bytes.iter().take_while(|&&byte| byte == b'1').count();
    // Little-endian 32-bit limbs of the big number.
    let mut limbs: Vec<u32> = Vec::with_capacity(bytes.len() / 5 + 2);
    for chunk in bytes.chunks(5) {
        let mut multiplier: u64 = 1;
        let mut addend: u64 = 0;
        for &byte in chunk {
            let digit = *DIGITS.get(usize::from(byte))?;
            if digit == 0xff {
                return None;
            }
            multiplier *= 58;
            addend = addend * 58 + u64::from(digit);
        }
        // limb * multiplier + carry < 2^32 * 58^5 + 2^32 < 2^64.
        let mut carry = addend;
        for limb in &mut limbs {
            let product = u64::from(*limb) * multiplier + carry;
            *limb = product as u32;
            carry = product >> 32;
        }
        if carry > 0 {
            limbs.push(carry as u32);
        }
    }
    let mut out = vec![0u8; leading_zeros];
    let big_endian: Vec<u8> = limbs
        .iter()
        .rev()
        .flat_map(|limb| limb.to_be_bytes())
        .skip_while(|&byte| byte == 0)
        .collect();
    out.extend_from_slice(&big_endian);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_values() {
        assert_eq!(decode(""), Some(vec![]));
        assert_eq!(decode("1"), Some(vec![0]));
        assert_eq!(decode("11"), Some(vec![0, 0]));
        assert_eq!(decode("2g"), Some(b"a".to_vec()));
        assert_eq!(decode("0OIl"), None);
        assert_eq!(decode("abc\u{e9}"), None);
    }

    proptest! {
        #[test]
        fn agrees_with_bs58(bytes in prop::collection::vec(any::<u8>(), 0..80)) {
            let text = bs58::encode(&bytes).into_string();
            prop_assert_eq!(decode(&text), Some(bytes));
        }

        #[test]
        fn rejects_what_bs58_rejects(text in "[0-9A-Za-z+/]{0,90}") {
            prop_assert_eq!(decode(&text), bs58::decode(&text).into_vec().ok());
        }
    }
}
