//! Anchor receipts carried beside the document: the envelope's optional third item, so a
//! checkpoint can check offline that each carried credential was anchored on the chain by its
//! issuer (`docs/qr-envelope.md`, "Anchor receipts").
//!
//! ```text
//! envelope = [kind, body]                          ; no receipts
//!          / [kind, body, [+ (receipt / null)]]    ; one entry per carried credential, in order
//! receipt  = [chainId: tstr, credentialHash: bstr .size 32, merkleRoot: bstr .size 32,
//!             index: uint, size: uint, path: [* bstr .size 32], height: uint,
//!             transaction: bstr .size 32]
//! ```
//!
//! The entries follow the carried credentials: the document itself for a credential, the
//! `verifiableCredential` entries for a presentation; `null` for a credential shown without
//! one. A receipt is [`crate::anchor::AnchorReceipt`] with its hex hashes as bytes. It is not
//! signed: it proves itself against the chain (its path leads from the credential's anchor leaf,
//! which binds the credential's `id`, to a root the issuer anchored), so a receipt moved to
//! another credential, or altered, does not verify.

use ciborium::Value as Cbor;

use super::EnvelopeError;
use crate::anchor::AnchorReceipt;

/// The most sibling hashes a receipt's path may hold (a batch of 2^64 leaves needs 64).
pub const MAX_PATH_LEN: usize = 64;

const MALFORMED: EnvelopeError = EnvelopeError::Structure("malformed anchor receipt");

/// The envelope's third item for `anchors` (`None` when there is nothing to carry).
pub(crate) fn to_cbor(anchors: &[Option<&AnchorReceipt>]) -> Result<Option<Cbor>, EnvelopeError> {
    if anchors.iter().all(Option::is_none) {
        return Ok(None);
    }
    let entries = anchors
        .iter()
        .map(|anchor| anchor.map_or(Ok(Cbor::Null), receipt_to_cbor))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(Cbor::Array(entries)))
}

fn receipt_to_cbor(receipt: &AnchorReceipt) -> Result<Cbor, EnvelopeError> {
    let hash = |text: &str| -> Result<Cbor, EnvelopeError> {
        let bytes = hex::decode(text).map_err(|_| MALFORMED)?;
        if bytes.len() == 32 {
            Ok(Cbor::Bytes(bytes))
        } else {
            Err(MALFORMED)
        }
    };
    if receipt.path.len() > MAX_PATH_LEN {
        return Err(MALFORMED);
    }
    Ok(Cbor::Array(vec![
        Cbor::Text(receipt.chain_id.clone()),
        hash(&receipt.credential_hash)?,
        hash(&receipt.merkle_root)?,
        Cbor::Integer(receipt.index.into()),
        Cbor::Integer(receipt.size.into()),
        Cbor::Array(
            receipt
                .path
                .iter()
                .map(|sibling| hash(sibling))
                .collect::<Result<_, _>>()?,
        ),
        Cbor::Integer(receipt.height.into()),
        hash(&receipt.transaction)?,
    ]))
}

/// The receipts of an envelope's third item.
pub(crate) fn from_cbor(item: Cbor) -> Result<Vec<Option<AnchorReceipt>>, EnvelopeError> {
    let Cbor::Array(entries) = item else {
        return Err(EnvelopeError::Structure(
            "anchor receipts are not a CBOR array",
        ));
    };
    if entries.is_empty() || entries.iter().all(Cbor::is_null) {
        return Err(EnvelopeError::Structure(
            "the anchor receipt list carries none",
        ));
    }
    entries
        .into_iter()
        .map(|entry| match entry {
            Cbor::Null => Ok(None),
            receipt => receipt_from_cbor(receipt).map(Some),
        })
        .collect()
}

fn receipt_from_cbor(item: Cbor) -> Result<AnchorReceipt, EnvelopeError> {
    let Cbor::Array(fields) = item else {
        return Err(MALFORMED);
    };
    let [
        chain_id,
        credential_hash,
        merkle_root,
        index,
        size,
        path,
        height,
        transaction,
    ]: [Cbor; 8] = fields.try_into().map_err(|_| MALFORMED)?;
    let hash = |item: Cbor| match item {
        Cbor::Bytes(bytes) if bytes.len() == 32 => Ok(hex::encode(bytes)),
        _ => Err(MALFORMED),
    };
    let number = |item: Cbor| match item {
        Cbor::Integer(value) => u64::try_from(value).map_err(|_| MALFORMED),
        _ => Err(MALFORMED),
    };
    let Cbor::Text(chain_id) = chain_id else {
        return Err(MALFORMED);
    };
    let Cbor::Array(path) = path else {
        return Err(MALFORMED);
    };
    if path.len() > MAX_PATH_LEN {
        return Err(MALFORMED);
    }
    Ok(AnchorReceipt {
        credential_hash: hash(credential_hash)?,
        chain_id,
        merkle_root: hash(merkle_root)?,
        index: number(index)?,
        size: number(size)?,
        path: path.into_iter().map(hash).collect::<Result<_, _>>()?,
        height: number(height)?,
        transaction: hash(transaction)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt() -> AnchorReceipt {
        AnchorReceipt {
            credential_hash: "11".repeat(32),
            chain_id: "crosscode-dev".into(),
            merkle_root: "22".repeat(32),
            index: 1,
            size: 3,
            path: vec!["33".repeat(32), "44".repeat(32)],
            height: 42,
            transaction: "55".repeat(32),
        }
    }

    #[test]
    fn receipts_round_trip_in_the_order_of_the_carried_credentials() {
        let receipt = receipt();
        let item = to_cbor(&[None, Some(&receipt)]).unwrap().unwrap();
        assert_eq!(from_cbor(item).unwrap(), vec![None, Some(receipt)]);
    }

    #[test]
    fn nothing_to_carry_writes_no_third_item() {
        assert_eq!(to_cbor(&[]).unwrap(), None);
        assert_eq!(to_cbor(&[None]).unwrap(), None);
    }

    #[test]
    fn a_receipt_whose_hash_is_not_32_bytes_of_hex_is_not_encoded() {
        let mut receipt = receipt();
        receipt.merkle_root = "zz".into();
        assert_eq!(to_cbor(&[Some(&receipt)]), Err(MALFORMED));
    }

    #[test]
    fn malformed_receipt_lists_are_refused_with_a_structure_error() {
        let good = receipt_to_cbor(&receipt()).unwrap();
        let Cbor::Array(fields) = good.clone() else {
            unreachable!()
        };
        let mut short_hash = fields.clone();
        short_hash[1] = Cbor::Bytes(vec![1; 31]);
        let mut negative = fields.clone();
        negative[3] = Cbor::Integer((-1).into());
        let mut long_path = fields.clone();
        long_path[5] = Cbor::Array(vec![Cbor::Bytes(vec![0; 32]); MAX_PATH_LEN + 1]);
        for bad in [
            Cbor::Map(Vec::new()),
            Cbor::Array(Vec::new()),
            Cbor::Array(vec![Cbor::Null]),
            Cbor::Array(vec![Cbor::Array(fields[..7].to_vec())]),
            Cbor::Array(vec![Cbor::Array(short_hash)]),
            Cbor::Array(vec![Cbor::Array(negative)]),
            Cbor::Array(vec![Cbor::Array(long_path)]),
            Cbor::Array(vec![good, Cbor::Text("receipt".into())]),
        ] {
            assert!(
                matches!(from_cbor(bad.clone()), Err(EnvelopeError::Structure(_))),
                "{bad:?}"
            );
        }
    }
}
