//! The stored state of one status list (the `StatusLists` value; its encoding is in the
//! [parent module's docs](super)).

use crosscode_core::status_list::{Bitstring, MIN_ENTRIES};

use super::{ListPurpose, PUBLISHED_KEPT, PublishedVersion, StatusError};

/// The format byte that starts a stored list state.
const STATE_FORMAT: u8 = 1;

/// One list's stored state (see the module docs for the encoding).
pub(super) struct ListState {
    pub(super) capacity: u32,
    pub(super) lanes: [Lane; 2],
}

/// One purpose of a list: its version, publications and bits.
pub(super) struct Lane {
    pub(super) version: u64,
    pub(super) published: Vec<PublishedVersion>,
    pub(super) bits: Bitstring,
}

impl ListState {
    pub(super) fn new(capacity: u32) -> Result<ListState, StatusError> {
        let entries = entries_for(capacity);
        let lane = || -> Result<Lane, StatusError> {
            Ok(Lane {
                version: 0,
                published: Vec::new(),
                bits: Bitstring::new(entries)?,
            })
        };
        Ok(ListState {
            capacity,
            lanes: [lane()?, lane()?],
        })
    }

    pub(super) fn bit(&self, purpose: ListPurpose, index: u32) -> Result<bool, StatusError> {
        Ok(self.lanes[purpose.slot()].bits.get(u64::from(index))?)
    }

    pub(super) fn encode(&self) -> Vec<u8> {
        let entries = self.lanes[0].bits.len();
        let mut out = Vec::with_capacity(9 + 2 * (entries / 8 + 9 + 48 * PUBLISHED_KEPT));
        out.push(STATE_FORMAT);
        out.extend_from_slice(&self.capacity.to_be_bytes());
        out.extend_from_slice(&u32::try_from(entries).unwrap_or(u32::MAX).to_be_bytes());
        for lane in &self.lanes {
            out.extend_from_slice(&lane.version.to_be_bytes());
            out.push(u8::try_from(lane.published.len()).unwrap_or(u8::MAX));
            for published in &lane.published {
                out.extend_from_slice(&published.version.to_be_bytes());
                out.extend_from_slice(&published.hash);
                out.extend_from_slice(&published.height.to_be_bytes());
            }
            out.extend_from_slice(lane.bits.as_bytes());
        }
        out
    }

    pub(super) fn decode(bytes: &[u8]) -> Result<ListState, StatusError> {
        let mut reader = Reader { bytes };
        if reader.take::<1>()? != [STATE_FORMAT] {
            return Err(corrupt_state("unknown format"));
        }
        let capacity = u32::from_be_bytes(reader.take()?);
        let entries = u32::from_be_bytes(reader.take()?) as usize;
        if capacity == 0 || entries != entries_for(capacity) {
            return Err(corrupt_state("capacity and length disagree"));
        }
        let mut lane = || -> Result<Lane, StatusError> {
            let version = u64::from_be_bytes(reader.take()?);
            let [count] = reader.take()?;
            let published = (0..count)
                .map(|_| {
                    Ok(PublishedVersion {
                        version: u64::from_be_bytes(reader.take()?),
                        hash: reader.take()?,
                        height: u64::from_be_bytes(reader.take()?),
                    })
                })
                .collect::<Result<Vec<_>, StatusError>>()?;
            let bits = Bitstring::from_bytes(reader.slice(entries / 8)?.to_vec())
                .map_err(|_| corrupt_state("list too short"))?;
            Ok(Lane {
                version,
                published,
                bits,
            })
        };
        let lanes = [lane()?, lane()?];
        if !reader.bytes.is_empty() {
            return Err(corrupt_state("trailing bytes"));
        }
        Ok(ListState { capacity, lanes })
    }
}

/// The published length of a list of `capacity` indexes: whole bytes, at least 131,072.
fn entries_for(capacity: u32) -> usize {
    (capacity as usize)
        .div_ceil(8)
        .saturating_mul(8)
        .max(MIN_ENTRIES)
}

fn corrupt_state(reason: &'static str) -> StatusError {
    StatusError::Corrupt {
        table: "status-lists",
        reason,
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn slice(&mut self, length: usize) -> Result<&'a [u8], StatusError> {
        if self.bytes.len() < length {
            return Err(corrupt_state("truncated"));
        }
        let (head, rest) = self.bytes.split_at(length);
        self.bytes = rest;
        Ok(head)
    }

    fn take<const N: usize>(&mut self) -> Result<[u8; N], StatusError> {
        let slice = self.slice(N)?;
        <[u8; N]>::try_from(slice).map_err(|_| corrupt_state("truncated"))
    }
}
