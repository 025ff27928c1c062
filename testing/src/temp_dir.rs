//! Temporary directories of tests and benches, unique per process and call.

use std::path::PathBuf;

/// A new, empty directory `crosscode-<label>-<pid>-<nanos>` under the system's temporary
/// directory (not removed afterwards).
pub fn temp_dir(label: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir =
        std::env::temp_dir().join(format!("crosscode-{label}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
