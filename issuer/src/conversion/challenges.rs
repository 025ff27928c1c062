//! Single-use conversion challenges: issued with an expiry, redeemed once. A redeemed
//! challenge is remembered until it would have expired, so a replay is told apart from a
//! challenge never issued. They are held in memory: a restart forgets them all (a holder then
//! fetches a new one), so a used challenge is never redeemable again.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use crosscode_core::crossborder::Challenge;
use time::OffsetDateTime;

/// The most challenges outstanding (issued or redeemed, not yet expired).
pub const MAX_OUTSTANDING: usize = 100_000;

/// Why a challenge was not redeemed (or not issued).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeRefused {
    /// Never issued (or forgotten at a restart).
    Unknown,
    /// Redeemed already.
    Used,
    /// Past its expiry.
    Expired,
    /// Too many challenges outstanding.
    Full,
}

#[derive(Debug)]
struct Entry {
    expires_at: OffsetDateTime,
    used: bool,
}

/// The book of challenges.
#[derive(Debug)]
pub struct ChallengeBook {
    lifetime: time::Duration,
    entries: Mutex<HashMap<Challenge, Entry>>,
}

impl ChallengeBook {
    /// A book whose challenges live `lifetime`.
    pub fn new(lifetime: time::Duration) -> ChallengeBook {
        ChallengeBook {
            lifetime,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Issues a challenge at `now`; answers it and its expiry.
    pub fn issue(
        &self,
        now: OffsetDateTime,
    ) -> Result<(Challenge, OffsetDateTime), ChallengeRefused> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MAX_OUTSTANDING {
            entries.retain(|_, entry| entry.expires_at > now);
            if entries.len() >= MAX_OUTSTANDING {
                return Err(ChallengeRefused::Full);
            }
        }
        let challenge = Challenge::random();
        let expires_at = now + self.lifetime;
        entries.insert(
            challenge.clone(),
            Entry {
                expires_at,
                used: false,
            },
        );
        Ok((challenge, expires_at))
    }

    /// Redeems `challenge` at `now`: it must have been issued, not used, not expired. It is
    /// used up whatever the answer.
    pub fn redeem(
        &self,
        challenge: &Challenge,
        now: OffsetDateTime,
    ) -> Result<(), ChallengeRefused> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = entries
            .get_mut(challenge)
            .ok_or(ChallengeRefused::Unknown)?;
        if entry.used {
            return Err(ChallengeRefused::Used);
        }
        entry.used = true;
        if entry.expires_at <= now {
            return Err(ChallengeRefused::Expired);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_challenge_is_redeemed_once_and_not_after_it_expires() {
        let book = ChallengeBook::new(time::Duration::seconds(60));
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
        let (first, expires_at) = book.issue(now).unwrap();
        assert_eq!(expires_at, now + time::Duration::seconds(60));
        assert_eq!(book.redeem(&first, now), Ok(()));
        assert_eq!(book.redeem(&first, now), Err(ChallengeRefused::Used));
        let (second, _) = book.issue(now).unwrap();
        assert_eq!(
            book.redeem(&second, now + time::Duration::seconds(61)),
            Err(ChallengeRefused::Expired)
        );
        assert_eq!(
            book.redeem(&Challenge::random(), now),
            Err(ChallengeRefused::Unknown)
        );
    }
}
