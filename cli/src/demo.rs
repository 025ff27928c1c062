//! `crosscode demo`: the most complete thing Crosscode does today, end to end and self-checking.
//!
//! An authority creates an SM2 and an Ed25519 key (stored encrypted) under one registry DID
//! (`did:crosscode:dev:…`, `#key-1` and `#key-2`), whose keys the checkpoint's trust cache holds;
//! it issues a health code to a holder's `did:key` secured with a proof set (`sm2-jcs-2026` +
//! `eddsa-jcs-2022`, each by a key of the issuer), packs it into the compact QR envelope, renders
//! the QR code as a PNG, reads the image back and verifies it as a checkpoint would; a tampered
//! copy and a copy signed by a key that is not the authority's must be refused with the failing
//! step named. Every outcome is checked: the command exits non-zero if any step does not give the
//! expected result.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use clap::Args;
use crosscode_core::data_integrity::{ProofOptions, VerificationStep, add_proof, verify_document};
use crosscode_core::did::{DidKey, DidUrl, TrustCache};
use crosscode_core::envelope::{self, SecuringForm, qr, qr_image};
use crosscode_core::keys::{KeyAlgorithm, KeyFile, SecretKey};
use crosscode_did_registry::document::RegistryDid;
use crosscode_did_registry::profile::CryptoProfile;
use rand_core::{OsRng, RngCore};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::key::print_line;

/// The example health code the demo issues (also used by the README and the tests).
const HEALTH_CODE: &str = include_str!("../../docs/examples/health-code.json");

/// Run the end-to-end scenario: keys, issuance with a proof set, QR image, checkpoint
/// verification, and refusal of a tampered copy.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the files the demo writes (encrypted key files, the secured credential, the QR PNG)
    /// in this directory; default: a fresh directory under the system's temporary directory.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
}

/// Runs the demo; exit 0 only when every step gave the expected outcome.
pub fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let dir = match args.out_dir {
        Some(dir) => dir,
        None => std::env::temp_dir().join(format!(
            "crosscode-demo-{}-{}",
            std::process::id(),
            OffsetDateTime::now_utc().unix_timestamp_nanos()
        )),
    };
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    say("Crosscode demo: one health code, from the authority to the border checkpoint")?;
    say(&format!("files are written to {}", dir.display()))?;

    // 1. The authority's keys, stored encrypted at rest.
    say("\n1. The health authority creates its keys (encrypted key files)")?;
    let mut passphrase = [0u8; 24];
    OsRng.fill_bytes(&mut passphrase);
    let sm2_key = new_key_file(&dir, "authority-sm2.key", KeyAlgorithm::Sm2, &passphrase)?;
    let ed25519_key = new_key_file(
        &dir,
        "authority-ed25519.key",
        KeyAlgorithm::Ed25519,
        &passphrase,
    )?;
    let issuer = RegistryDid::derive(CryptoProfile::GuoMi, "dev", &sm2_key.public_key());
    let sm2_method = DidUrl::parse(&format!("{}#key-1", issuer.as_str()))?;
    let ed25519_method = DidUrl::parse(&format!("{}#key-2", issuer.as_str()))?;
    say(&format!("   authority    {}", issuer.as_str()))?;
    say(&format!("   SM2 key      {}", sm2_method.as_str()))?;
    say(&format!("   Ed25519 key  {}", ed25519_method.as_str()))?;
    // The checkpoint's trust cache: the authority's keys, as synced from the chain.
    let mut trust_cache = TrustCache::new();
    trust_cache.insert(&sm2_method, sm2_key.public_key())?;
    trust_cache.insert(&ed25519_method, ed25519_key.public_key())?;
    fs::write(
        dir.join("trust-cache.json"),
        serde_json::to_string_pretty(&trust_cache.to_json())?,
    )?;
    say("   the checkpoint's trust cache holds both keys (trust-cache.json)")?;

    // The holder: a fresh did:key, one per credential; the holder never appears on any chain.
    let holder = DidKey::from_public_key(&SecretKey::generate(KeyAlgorithm::Ed25519).public_key());

    // 2. Issuance with a proof set.
    say("\n2. It issues a health code secured with a proof set (sm2-jcs-2026 + eddsa-jcs-2022)")?;
    let now = OffsetDateTime::now_utc().replace_nanosecond(0)?;
    let credential = health_code(issuer.as_str(), holder.did().as_str(), now)?;
    let options = ProofOptions {
        created: Some(now),
        ..ProofOptions::default()
    };
    let secured = add_proof(&credential, &sm2_key, &sm2_method, &options)?;
    let secured = add_proof(&secured, &ed25519_key, &ed25519_method, &options)?;
    let secured_text = serde_json::to_string_pretty(&secured)?;
    fs::write(dir.join("health-code.signed.json"), &secured_text)?;
    let report = verify_document(&secured, &trust_cache, now);
    ensure!(
        report.verified,
        "the freshly issued credential does not verify"
    );
    for proof in &report.proofs {
        ensure!(proof.verified, "proof {} does not verify", proof.index);
        say(&format!(
            "   proof {} {:<15} verifies on its own",
            proof.index,
            proof.cryptosuite.as_deref().unwrap_or("?")
        ))?;
    }

    // 3. The QR code: both securing forms of the envelope, the image, and the checkpoint.
    say("\n3. The wallet shows it as a QR code (CC1 envelope, error correction Q)")?;
    let carried = envelope::encode_data_integrity(&secured)?;
    let cose = envelope::encode_signed(&credential, &sm2_key, &sm2_method)?;
    say(&format!(
        "   Data Integrity form: {} alphanumeric characters (both proofs carried)",
        carried.len()
    ))?;
    say(&format!(
        "   COSE_Sign1 form:     {} alphanumeric characters (issuer-signed, SM2)",
        cose.len()
    ))?;
    let png_path = dir.join("health-code.png");
    fs::write(&png_path, qr::render_png(&carried)?)?;
    say(&format!("   QR image written to {}", png_path.display()))?;

    say("\n4. The checkpoint scans the image and verifies it offline")?;
    let started = Instant::now();
    let scanned = qr_image::read_qr_text(&fs::read(&png_path)?)?;
    let scan_time = started.elapsed();
    ensure!(
        scanned == carried,
        "the payload read from the image differs"
    );
    let started = Instant::now();
    let verified = envelope::decode(&scanned, &trust_cache, now)?;
    let verify_time = started.elapsed();
    ensure!(
        verified.document == secured,
        "the decoded credential is not the issued one"
    );
    let SecuringForm::DataIntegrity { report } = &verified.form else {
        bail!("the envelope was not decoded as the Data Integrity form");
    };
    ensure!(report.verified, "the scanned credential does not verify");
    say(&format!(
        "   ACCEPT: status {} for {} (image read in {}, payload verified in {})",
        secured["credentialSubject"]["statusColour"],
        holder.did().as_str(),
        millis(scan_time),
        millis(verify_time)
    ))?;
    let cose_verified = envelope::decode(&cose, &trust_cache, now)?;
    ensure!(
        matches!(cose_verified.form, SecuringForm::CoseSign1 { .. }),
        "the COSE form was not decoded as COSE_Sign1"
    );
    say("   ACCEPT: the COSE_Sign1 form verifies too")?;

    // 5. Tampering is refused, with the step named.
    say("\n5. Forged copies are refused")?;
    let mut forged = secured.clone();
    forged["validUntil"] = json!("2099-12-31T23:59:59Z");
    let forged_report = verify_document(&forged, &trust_cache, now);
    ensure!(!forged_report.verified, "a forged credential was accepted");
    ensure!(
        forged_report.failed_step() == Some(VerificationStep::Signature),
        "the forged credential failed at {:?}, not at the signature",
        forged_report.failed_step()
    );
    say("   REJECT at step Signature: validUntil was changed after issuance")?;
    let forged_payload = envelope::encode_data_integrity(&forged)?;
    match envelope::decode(&forged_payload, &trust_cache, now) {
        Ok(_) => bail!("a forged QR payload was accepted"),
        Err(err) => match err.step() {
            Some(step) => say(&format!("   REJECT at envelope step {step}: {err}"))?,
            None => say(&format!("   REJECT: {err}"))?,
        },
    }
    let expired_at = now + time::Duration::days(400);
    let impostor = SecretKey::generate(KeyAlgorithm::Ed25519);
    let impostor_method = DidKey::from_public_key(&impostor.public_key()).verification_method_id();
    let impersonated = add_proof(&credential, &impostor, &impostor_method, &options)?;
    let impersonated_report = verify_document(&impersonated, &trust_cache, now);
    ensure!(
        impersonated_report.failed_step() == Some(VerificationStep::IssuerBinding),
        "a credential signed by a key that is not the authority's failed at {:?}, not at the issuer binding",
        impersonated_report.failed_step()
    );
    say("   REJECT at step IssuerBinding: the authority's name, signed by another key")?;
    let late = verify_document(&secured, &trust_cache, expired_at);
    ensure!(
        late.failed_step() == Some(VerificationStep::ValidityWindow),
        "an expired credential was not refused for its validity window"
    );
    say("   REJECT at step ValidityWindow: the same code shown 400 days later")?;

    say("\nAll steps gave the expected outcome.")?;
    Ok(ExitCode::SUCCESS)
}

/// Generates a key, stores it encrypted in `dir/name`, and opens it again from disk.
fn new_key_file(
    dir: &Path,
    name: &str,
    algorithm: KeyAlgorithm,
    passphrase: &[u8],
) -> anyhow::Result<SecretKey> {
    let path = dir.join(name);
    let key_file = KeyFile::seal(&SecretKey::generate(algorithm), passphrase)?;
    key_file
        .write(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(KeyFile::read(&path)?.open(passphrase)?)
}

/// The example health code, issued by `issuer` to `holder`, valid for seven days from `now`.
fn health_code(issuer: &str, holder: &str, now: OffsetDateTime) -> anyhow::Result<Value> {
    let mut credential: Value = serde_json::from_str(HEALTH_CODE)?;
    let stamp = |instant: OffsetDateTime| crosscode_core::data_integrity::date_time_stamp(instant);
    credential["issuer"] = json!(issuer);
    credential["credentialSubject"]["id"] = json!(holder);
    credential["validFrom"] = json!(stamp(now));
    credential["validUntil"] = json!(stamp(now + time::Duration::days(7)));
    Ok(credential)
}

fn millis(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

fn say(line: &str) -> anyhow::Result<()> {
    print_line(line)
}
