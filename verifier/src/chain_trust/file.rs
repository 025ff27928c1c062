//! The chain trust on disk: `DIR/trust-cache.bin`, written atomically, integrity-protected by
//! an HMAC whose key `DIR/cache.key` the checkpoint makes at its first sync.
//!
//! ```text
//! file      = magic "crosscode-trust-cache" 0x00, version 0x01, body, tag
//! body      = chain id (str), profile (u8), pinned validators hash (32 bytes),
//!             signers (bytes: validator set),
//!             next validators (bytes: validator set), header, certificate,
//!             issuers:   u32 count, (did, IssuerRecord)*
//!             dids:      u32 count, (did, DidRecord, u32 count, DidVersion*)*
//!             schemas:   u32 count, (hash32, SchemaRecord)*
//!             statuses:  u32 count, (did, u32 count, (StatusKey, StatusRecord)*)*
//!             evidence:  u32 count, (hash32, EvidenceRecord)*
//!             batches:   u32 count, (hash32, EvidenceRecord)*
//!             candidates: u32 count, did*
//! tag       = HMAC-SHA256(key, magic .. body)                       ; 32 bytes
//! ```
//!
//! Every item is the registry's canonical encoding (`crosscode_did_registry::codec`: big-endian
//! integers, u32-length-prefixed strings and byte strings) — the same bytes the chain proved.
//!
//! **At load**, before anything is trusted: the tag is checked (a file changed by one byte, or
//! written by someone without the key, is refused — [`CacheFileError::Tampered`]), the body
//! decodes strictly, and the synced header's certificate is verified again against the signer
//! set it names, which must hash to the header's `validatorsHash` (and the next set to its
//! `nextValidatorsHash`). **At save**, the file is written to a temporary file in `DIR`,
//! flushed to disk and renamed over the old one, so a crash leaves either the old cache or the
//! new one, never a mix; the key file is created once, readable by its owner only.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use rand_core::{OsRng, RngCore};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::{ChainTrust, DidHistory};
use crosscode_did_registry::block::{
    CertificateError, CommitCertificate, Header, verify_certificate,
};
use crosscode_did_registry::codec::{Decode, DecodeError, Encode, Reader, Writer};
use crosscode_did_registry::document::RegistryDid;
use crosscode_did_registry::ordering::CoreSignatureVerifier;
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_did_registry::proof::TrustedChain;
use crosscode_did_registry::records::{
    DidRecord, DidVersion, EvidenceRecord, IssuerRecord, SchemaRecord, StatusRecord,
};
use crosscode_did_registry::transaction::{MAX_CHAIN_ID_LEN, StatusKey};
use crosscode_did_registry::validators::ValidatorSet;

/// The cache file in a checkpoint's cache directory.
pub const CACHE_FILE: &str = "trust-cache.bin";
/// The integrity key file in a checkpoint's cache directory.
pub const KEY_FILE: &str = "cache.key";
/// The file's magic bytes.
pub const MAGIC: &[u8] = b"crosscode-trust-cache\0";
/// The file format version.
pub const VERSION: u8 = 1;
/// Most items of one table (status entries, anchors, …) a cache file may hold.
pub const MAX_ITEMS: usize = 64 * 1024 * 1024;
const TAG_LEN: usize = 32;
const KEY_LEN: usize = 32;

type HmacSha256 = Hmac<Sha256>;

/// Why a cache directory cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum CacheFileError {
    /// The directory holds no cache yet (never synced).
    #[error("no trust cache in {dir} yet: run `crosscode checkpoint sync` first")]
    NotSynced {
        /// The directory.
        dir: PathBuf,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The key file is not 32 bytes.
    #[error("{path} is not a cache key (32 bytes)")]
    InvalidKey {
        /// The key file.
        path: PathBuf,
    },
    /// The integrity tag does not match: the file was changed since the checkpoint wrote it.
    #[error("the trust cache was altered since it was written (integrity check failed)")]
    Tampered,
    /// The file is not a cache file of this format.
    #[error("not a trust cache file of this version")]
    NotACacheFile,
    /// The body does not decode.
    #[error("the trust cache does not decode: {0}")]
    Decode(#[from] DecodeError),
    /// The synced header's certificate does not verify against the stored validator sets.
    #[error("the trust cache's header does not verify: {0}")]
    Certificate(#[from] CertificateError),
    /// A stored validator set is not the one the header names.
    #[error("the trust cache's validator sets are not the ones its header names")]
    ValidatorsMismatch,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CacheFileError + '_ {
    move |source| CacheFileError::Io {
        path: path.to_owned(),
        source,
    }
}

impl ChainTrust {
    /// Reads and checks the cache of `dir` (see the module documentation).
    pub fn load(dir: &Path) -> Result<ChainTrust, CacheFileError> {
        let path = dir.join(CACHE_FILE);
        if !path.exists() {
            return Err(CacheFileError::NotSynced {
                dir: dir.to_owned(),
            });
        }
        let key = read_key(dir)?.ok_or(CacheFileError::Tampered)?;
        let bytes = fs::read(&path).map_err(io(&path))?;
        ChainTrust::from_file_bytes(&bytes, &key)
    }

    /// Writes the cache to `dir` atomically (creating the directory and its key when missing).
    pub fn save(&self, dir: &Path) -> Result<(), CacheFileError> {
        fs::create_dir_all(dir).map_err(io(dir))?;
        let key = match read_key(dir)? {
            Some(key) => key,
            None => create_key(dir)?,
        };
        let bytes = self.to_file_bytes(&key);
        let path = dir.join(CACHE_FILE);
        let temporary = dir.join(format!("{CACHE_FILE}.{}.partial", std::process::id()));
        let written = (|| {
            let mut file = fs::File::create(&temporary)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            fs::rename(&temporary, &path)?;
            // The rename itself is durable once the directory is flushed.
            fs::File::open(dir)?.sync_all()
        })();
        if written.is_err() {
            let _ = fs::remove_file(&temporary);
        }
        written.map_err(io(&path))
    }

    /// The file bytes under `key`: magic, version, body, HMAC tag.
    pub fn to_file_bytes(&self, key: &[u8]) -> Vec<u8> {
        let mut w = Writer::new();
        w.raw(MAGIC);
        w.u8(VERSION);
        self.encode_body(&mut w);
        let mut bytes = w.into_bytes();
        let tag = tag(key, &bytes);
        bytes.extend_from_slice(&tag);
        bytes
    }

    /// Checks the tag under `key`, decodes the body and verifies the header again.
    pub fn from_file_bytes(bytes: &[u8], key: &[u8]) -> Result<ChainTrust, CacheFileError> {
        let split = bytes
            .len()
            .checked_sub(TAG_LEN)
            .ok_or(CacheFileError::NotACacheFile)?;
        let (content, stored_tag) = bytes.split_at(split);
        let mut mac = HmacSha256::new_from_slice(key).map_err(|_| CacheFileError::Tampered)?;
        mac.update(content);
        mac.verify_slice(stored_tag)
            .map_err(|_| CacheFileError::Tampered)?;
        let body = content
            .strip_prefix(MAGIC)
            .and_then(|rest| rest.strip_prefix(&[VERSION]))
            .ok_or(CacheFileError::NotACacheFile)?;
        let mut reader = Reader::new(body);
        let trust = ChainTrust::decode_body(&mut reader)?;
        reader.finish()?;
        trust.check_header()?;
        Ok(trust)
    }

    /// The header names the stored sets and its certificate verifies against its signers.
    fn check_header(&self) -> Result<(), CacheFileError> {
        let profile = self.chain.profile;
        if self.signers.hash(profile) != self.header.validators_hash
            || self.chain.validators.hash(profile) != self.header.next_validators_hash
        {
            return Err(CacheFileError::ValidatorsMismatch);
        }
        verify_certificate(
            profile,
            &self.chain.chain_id,
            &self.header,
            &self.certificate,
            &self.signers,
            &CoreSignatureVerifier,
        )?;
        Ok(())
    }

    fn encode_body(&self, w: &mut Writer) {
        w.str(&self.chain.chain_id);
        self.chain.profile.encode(w);
        w.hash(&self.pinned_validators);
        w.bytes(&self.signers.to_bytes());
        w.bytes(&self.chain.validators.to_bytes());
        self.header.encode(w);
        self.certificate.encode(w);
        table(w, &self.issuers, |w, (did, record)| {
            did.encode(w);
            record.encode(w);
        });
        table(w, &self.dids, |w, (did, history)| {
            did.encode(w);
            history.record.encode(w);
            w.seq(&history.versions);
        });
        table(w, &self.schemas, |w, (hash, record)| {
            w.hash(hash);
            record.encode(w);
        });
        table(w, &self.statuses, |w, (did, entries)| {
            did.encode(w);
            table(w, entries, |w, (key, record)| {
                key.encode(w);
                record.encode(w);
            });
        });
        for anchors in [&self.evidence, &self.batches] {
            table(w, anchors, |w, (hash, record)| {
                w.hash(hash);
                record.encode(w);
            });
        }
        w.len(self.issuer_candidates.len());
        for did in &self.issuer_candidates {
            did.encode(w);
        }
    }

    fn decode_body(r: &mut Reader<'_>) -> Result<ChainTrust, DecodeError> {
        let chain_id = r.str("chain id", MAX_CHAIN_ID_LEN)?;
        let profile = CryptoProfile::decode(r)?;
        let pinned_validators = r.hash("pinned validators")?;
        let signers = ValidatorSet::decode_for(profile, &r.bytes("signers", 1 << 20)?)?;
        let validators = ValidatorSet::decode_for(profile, &r.bytes("validators", 1 << 20)?)?;
        let header = Header::decode(r)?;
        let certificate = CommitCertificate::decode(r)?;
        let issuers = read_table(r, "issuers", |r| {
            Ok((RegistryDid::decode(r)?, IssuerRecord::decode(r)?))
        })?;
        let dids = read_table(r, "dids", |r| {
            let did = RegistryDid::decode(r)?;
            let record = DidRecord::decode(r)?;
            let versions: Vec<DidVersion> = r.seq("versions", MAX_ITEMS)?;
            Ok((did, DidHistory { record, versions }))
        })?;
        let schemas = read_table(r, "schemas", |r| {
            Ok((r.hash("schema hash")?, SchemaRecord::decode(r)?))
        })?;
        let statuses = read_table(r, "statuses", |r| {
            let did = RegistryDid::decode(r)?;
            let entries = read_table(r, "status entries", |r| {
                Ok((StatusKey::decode(r)?, StatusRecord::decode(r)?))
            })?;
            Ok((did, entries))
        })?;
        let anchor = |r: &mut Reader<'_>| Ok((r.hash("anchor hash")?, EvidenceRecord::decode(r)?));
        let evidence = read_table(r, "evidence", anchor)?;
        let batches = read_table(r, "batches", anchor)?;
        let count = r.len("candidates", MAX_ITEMS)?;
        let mut issuer_candidates = BTreeSet::new();
        for _ in 0..count {
            let did = RegistryDid::decode(r)?;
            if issuer_candidates.last().is_some_and(|last| *last >= did) {
                return Err(DecodeError::Invalid {
                    what: "candidates",
                    reason: "keys not in increasing order",
                });
            }
            issuer_candidates.insert(did);
        }
        Ok(ChainTrust {
            chain: TrustedChain {
                chain_id,
                profile,
                validators,
            },
            pinned_validators,
            signers,
            header,
            certificate,
            issuers,
            dids,
            schemas,
            statuses,
            evidence,
            batches,
            issuer_candidates,
        })
    }
}

/// Writes a map as a count and its items.
fn table<'m, K: 'm, V: 'm>(
    w: &mut Writer,
    map: &'m BTreeMap<K, V>,
    item: impl Fn(&mut Writer, (&'m K, &'m V)),
) {
    w.len(map.len());
    for entry in map {
        item(w, entry);
    }
}

/// Reads a count and as many items into a map, in strictly increasing key order (the writer's
/// order: a file has one encoding).
fn read_table<K: Ord, V>(
    r: &mut Reader<'_>,
    what: &'static str,
    item: impl Fn(&mut Reader<'_>) -> Result<(K, V), DecodeError>,
) -> Result<BTreeMap<K, V>, DecodeError> {
    let count = r.len(what, MAX_ITEMS)?;
    if count > r.remaining() {
        return Err(DecodeError::UnexpectedEnd { what });
    }
    let mut map = BTreeMap::new();
    for _ in 0..count {
        let (key, value) = item(r)?;
        if map.last_key_value().is_some_and(|(last, _)| *last >= key) {
            return Err(DecodeError::Invalid {
                what,
                reason: "keys not in increasing order",
            });
        }
        map.insert(key, value);
    }
    Ok(map)
}

fn tag(key: &[u8], content: &[u8]) -> [u8; TAG_LEN] {
    // HMAC takes keys of any length; a 32-byte key never fails.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return [0; TAG_LEN],
    };
    mac.update(content);
    mac.finalize().into_bytes().into()
}

fn read_key(dir: &Path) -> Result<Option<Zeroizing<Vec<u8>>>, CacheFileError> {
    let path = dir.join(KEY_FILE);
    match fs::read(&path) {
        Ok(bytes) if bytes.len() == KEY_LEN => Ok(Some(Zeroizing::new(bytes))),
        Ok(_) => Err(CacheFileError::InvalidKey { path }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(CacheFileError::Io { path, source }),
    }
}

fn create_key(dir: &Path) -> Result<Zeroizing<Vec<u8>>, CacheFileError> {
    let path = dir.join(KEY_FILE);
    let mut key = Zeroizing::new(vec![0u8; KEY_LEN]);
    OsRng.fill_bytes(&mut key);
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(&path).map_err(io(&path))?;
    file.write_all(&key).map_err(io(&path))?;
    file.sync_all().map_err(io(&path))?;
    Ok(key)
}
