//! The values of the heights being decided — blocks this validator proposed or received and
//! checked, or got through value sync — kept on disk until their height is decided, so that a
//! restarted validator still holds every value its write-ahead log may decide, and proposes
//! the very block it proposed before for a height and round:
//!
//! ```text
//! DIR/<height>-<round>.part             this validator's proposal: the part (borsh)
//! DIR/<height>-<round>-<value id>.value a value seen: (ProposedValue, Option<BlockPart>) (borsh)
//! ```
//!
//! Each file is written to a temporary file, synced and renamed; the directory is synced.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use arc_malachitebft_app_channel::app::types::ProposedValue;
use arc_malachitebft_app_channel::app::types::core::{Round, Value};
use crosscode_registry_consensus::{BlockPart, Height, RegistryContext, ValueId};

/// Most parts kept for heights not started yet (a validator behind its peers; signed by
/// their proposers, at most two heights ahead).
const MAX_EARLY_PARTS: usize = 16;

/// A value seen at a height: as the engine hears of it, and the part that carried it (none
/// for a value got through sync).
#[derive(Debug, Clone)]
pub(super) struct Seen {
    pub(super) proposed: ProposedValue<RegistryContext>,
    pub(super) part: Option<BlockPart>,
}

/// See the module docs.
#[derive(Debug)]
pub(super) struct Values {
    dir: PathBuf,
    seen: BTreeMap<(u64, ValueId), Seen>,
    early: Vec<BlockPart>,
}

impl Values {
    /// The values store in `dir` (created if missing), with the values kept there.
    pub(super) fn open(dir: PathBuf) -> std::io::Result<Values> {
        std::fs::create_dir_all(&dir)?;
        let mut seen = BTreeMap::new();
        for entry in std::fs::read_dir(&dir)?.flatten() {
            if entry.path().extension().is_some_and(|e| e == "value") {
                let bytes = std::fs::read(entry.path())?;
                match borsh::from_slice::<(ProposedValue<RegistryContext>, Option<BlockPart>)>(
                    &bytes,
                ) {
                    Ok((proposed, part)) => {
                        let key = (proposed.height.0, Value::id(&proposed.value));
                        seen.insert(key, Seen { proposed, part });
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "consortium: a kept value does not decode");
                    }
                }
            }
        }
        Ok(Values {
            dir,
            seen,
            early: Vec::new(),
        })
    }

    /// Writes `bytes` to `name` in the directory, durably (see the module docs).
    fn keep(&self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.dir.join(name);
        let temporary = path.with_extension("tmp");
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, &path)?;
        std::fs::File::open(&self.dir)?.sync_all()
    }

    /// This validator's proposal for `height` and `round`, if it made one (before a restart,
    /// too).
    pub(super) fn own(&self, height: Height, round: Round) -> Option<BlockPart> {
        let round = round.as_u32()?;
        let bytes = std::fs::read(self.dir.join(format!("{}-{round}.part", height.0))).ok()?;
        match borsh::from_slice(&bytes) {
            Ok(part) => Some(part),
            Err(err) => {
                tracing::warn!(height = height.0, error = %err, "consortium: a kept proposal does not decode");
                None
            }
        }
    }

    /// Keeps this validator's proposal on disk (before it is sent).
    pub(super) fn keep_own(&self, part: &BlockPart) -> std::io::Result<()> {
        let Some(round) = part.round.as_u32() else {
            return Ok(());
        };
        self.keep(
            &format!("{}-{round}.part", part.height.0),
            &borsh::to_vec(part)?,
        )
    }

    /// Records a value seen at its height, on disk too (a failure to keep it is logged: the
    /// value stays usable until a restart).
    pub(super) fn insert(&mut self, seen: Seen) {
        let id = Value::id(&seen.proposed.value);
        let name = format!(
            "{}-{}-{id}.value",
            seen.proposed.height.0,
            seen.proposed.round.as_i64()
        );
        let kept =
            borsh::to_vec(&(&seen.proposed, &seen.part)).and_then(|bytes| self.keep(&name, &bytes));
        if let Err(err) = kept {
            tracing::warn!(height = seen.proposed.height.0, error = %err, "consortium: a value is not kept on disk");
        }
        self.seen.insert((seen.proposed.height.0, id), seen);
    }

    /// The value `id` seen at `height`.
    pub(super) fn get(&self, height: Height, id: &ValueId) -> Option<&Seen> {
        self.seen.get(&(height.0, *id))
    }

    /// The values proposed for `height` in `round` (what a restarted engine asks back).
    pub(super) fn at_round(
        &self,
        height: Height,
        round: Round,
    ) -> Vec<ProposedValue<RegistryContext>> {
        self.seen
            .range((height.0, ValueId([0; 32]))..=(height.0, ValueId([0xff; 32])))
            .filter(|(_, seen)| seen.proposed.round == round)
            .map(|(_, seen)| seen.proposed.clone())
            .collect()
    }

    /// Keeps a part of a height not started yet (the oldest dropped past the bound).
    pub(super) fn park(&mut self, part: BlockPart) {
        if self.early.len() >= MAX_EARLY_PARTS {
            self.early.remove(0);
        }
        self.early.push(part);
    }

    /// The parts kept for `height`.
    pub(super) fn take_early(&mut self, height: Height) -> Vec<BlockPart> {
        let (now, later): (Vec<BlockPart>, Vec<BlockPart>) = std::mem::take(&mut self.early)
            .into_iter()
            .partition(|part| part.height == height);
        self.early = later
            .into_iter()
            .filter(|part| part.height > height)
            .collect();
        now
    }

    /// Forgets everything of the heights up to `height` (decided), own proposals included.
    pub(super) fn decided(&mut self, height: u64) {
        self.seen = self.seen.split_off(&(height + 1, ValueId([0; 32])));
        self.early.retain(|part| part.height.0 > height);
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let kept_height = name
                .to_str()
                .and_then(|name| name.split('-').next())
                .and_then(|h| h.parse::<u64>().ok());
            if kept_height.is_some_and(|h| h <= height) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}
