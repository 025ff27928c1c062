//! Encryption at rest of subject records: the service's [`RecordKey`] (core's record sealing),
//! kept in `DIR/records.key` sealed under the operator's passphrase for
//! [`RECORD_KEY_PURPOSE`].

use std::path::{Path, PathBuf};

use crosscode_core::keys::KdfParams;
pub use crosscode_core::keys::{RecordKey, SealingError};

/// The file holding the sealed record key, in the service's data directory.
pub const RECORD_KEY_FILE: &str = "records.key";
/// The purpose the record key is sealed for (checked when opening it).
pub const RECORD_KEY_PURPOSE: &str = "crosscode-issuer-records";

/// The path of the key file in data directory `dir`.
pub fn record_key_file(dir: &Path) -> PathBuf {
    dir.join(RECORD_KEY_FILE)
}

/// Opens the record key of `dir/records.key` with `passphrase`, or, when the file does not
/// exist (first start), creates a key and stores it there sealed with the default argon2id
/// parameters.
pub fn open_or_create_record_key(dir: &Path, passphrase: &[u8]) -> Result<RecordKey, SealingError> {
    RecordKey::open_or_create(
        &record_key_file(dir),
        RECORD_KEY_PURPOSE,
        passphrase,
        KdfParams::DEFAULT,
    )
}
