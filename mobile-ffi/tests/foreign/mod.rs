//! What the Python and Kotlin tests share: the library and its generated bindings, the issuer
//! of MO on a dev chain (the wallet core's test fixture), offers, the trust document, and the
//! checkpoint's verdict on what the foreign code presented.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs
)]

#[path = "../../../wallet-core/tests/support/mod.rs"]
pub mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use crosscode_core::data_integrity::VerificationStep;
use crosscode_core::did::TrustCache;
use crosscode_core::envelope::{self, EnvelopeError, time_slot};
use time::{Duration, OffsetDateTime};

/// The cdylib built beside this test (`target/<profile>/libcrosscode_mobile_ffi.so`).
pub fn library() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap();
    let name = format!(
        "{}crosscode_mobile_ffi{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    );
    [deps.join(&name), deps.parent().unwrap().join(&name)]
        .into_iter()
        .find(|path| path.is_file())
        .unwrap_or_else(|| panic!("the cdylib {name} is not beside {}", deps.display()))
}

/// Generates the `language` bindings of the library into `out` (UniFFI's library mode).
pub fn generate(language: &str, out: &Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_uniffi-bindgen"))
        .args(["generate", "--library"])
        .arg(library())
        .args(["--language", language, "--no-format", "--out-dir"])
        .arg(out)
        .status()
        .unwrap();
    assert!(
        status.success(),
        "uniffi-bindgen generate {language} failed"
    );
}

/// Runs `command`, failing the test with its output when it fails; answers its stdout.
pub fn run(command: &mut Command) -> String {
    let output = command.output().unwrap_or_else(|err| {
        panic!("could not start {:?}: {err}", command.get_program());
    });
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{:?} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        command.get_program(),
        output.status
    );
    stdout
}

/// The checkpoint's verdict on a dynamic presentation made at about `made_at`: accepted now
/// with the chain's trust (holder-bound, for `audience`), refused as stale two slots later.
pub fn check_dynamic_presentation(
    payload: &str,
    trust: &TrustCache,
    audience: &str,
    made_at: OffsetDateTime,
) -> serde_json::Value {
    let verified = envelope::decode(payload, trust, made_at).unwrap();
    let presentation = verified.document;
    time_slot::check_audience(&presentation, audience).unwrap();
    time_slot::require_dynamic(&presentation, made_at).unwrap();
    let stale = envelope::decode(payload, trust, made_at + Duration::seconds(90)).unwrap_err();
    assert!(
        matches!(stale, EnvelopeError::StaleTimeSlot { .. }),
        "{stale}"
    );
    assert_eq!(stale.step(), Some(VerificationStep::ValidityWindow));
    presentation
}
