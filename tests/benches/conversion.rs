//! Conversion benchmark (`docs/benchmarks.md`, "Cross-border conversion"): a wallet's
//! `convert` — B's policy and a challenge fetched, the BBS-derived request built and signed,
//! B's checks against the chain, C_B issued **and its anchor committed** on the solo chain,
//! C_B verified and stored encrypted in the wallet — timed end to end with 1, 10 and 100
//! holders converting at once. Its peer in the same run is the wallet's `receive` of a CN-GD
//! health code (OpenID4VCI, the issuer's anchor commit included) at the same concurrency.
//! A third measure times the span issue #13 names, *conversion request → C_B stored*: every
//! holder first prepares its request (what its own phone computes), then all send at once.
//!
//! Everything runs in this one process on loopback — the registry node (RocksDB, 200 ms
//! heartbeat, blocks cut as soon as transactions wait), CN-GD's and MO's issuer services and
//! every wallet — so the holders, both authorities and the chain share this machine's cores.
//! Samples per level: `CONVERSION_SAMPLES` (default 100; the 100-holder level takes
//! three rounds at least). Holder keys: the wallet's software keystore (key files sealed under
//! the passphrase with argon2id, here at [`KdfParams::INSECURE_FOR_TESTS`], derived once per
//! keystore before the clock starts), or with
//! `CONVERSION_KEYSTORE=platform` a keystore holding keys in memory, as a phone's platform
//! keystore does (no passphrase KDF per new key).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crosscode_core::did::TrustCache;
use crosscode_core::keys::{KdfParams, KeyAlgorithm, PublicKey, SecretKey};
use crosscode_tests::jurisdictions::{TwoJurisdictions, WorldOptions};
use crosscode_tests::scenario::sample_subject;
use crosscode_wallet_core::Wallet;
use crosscode_wallet_core::keystore::{KeyHandle, Keystore, KeystoreError, SoftwareKeystore};
use crosscode_wallet_core::transport::HttpTransport;
use futures_util::future::join_all;
use time::OffsetDateTime;

/// The concurrency levels of issue #13.
const LEVELS: [usize; 3] = [1, 10, 100];

/// One holder: a wallet of its own (own directory, keystore and store) and the id of the
/// CN-GD health code it converts.
struct Holder {
    wallet: Wallet,
    source_id: Option<String>,
}

/// Keys held in memory, as a platform keystore holds them (`CONVERSION_KEYSTORE=platform`).
#[derive(Default)]
struct PlatformKeystore {
    keys: Mutex<HashMap<String, SecretKey>>,
    made: std::sync::atomic::AtomicU64,
}

impl Keystore for PlatformKeystore {
    fn generate(&self, algorithm: KeyAlgorithm) -> Result<KeyHandle, KeystoreError> {
        let made = self.made.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let handle = format!("key-{made}");
        let mut keys = self.keys.lock().unwrap();
        keys.insert(handle.clone(), SecretKey::generate(algorithm));
        Ok(KeyHandle(handle))
    }

    fn public_key(&self, handle: &KeyHandle) -> Result<PublicKey, KeystoreError> {
        let keys = self.keys.lock().unwrap();
        let key = keys
            .get(&handle.0)
            .ok_or_else(|| KeystoreError::UnknownKey(handle.0.clone()))?;
        Ok(key.public_key())
    }

    fn sign(&self, handle: &KeyHandle, message: &[u8]) -> Result<Vec<u8>, KeystoreError> {
        let keys = self.keys.lock().unwrap();
        let key = keys
            .get(&handle.0)
            .ok_or_else(|| KeystoreError::UnknownKey(handle.0.clone()))?;
        key.sign(message)
            .map_err(|err| KeystoreError::Platform(err.to_string()))
    }

    fn delete(&self, handle: &KeyHandle) -> Result<(), KeystoreError> {
        self.keys.lock().unwrap().remove(&handle.0);
        Ok(())
    }
}

fn open_holder(dir: &std::path::Path, index: usize, platform: bool) -> Holder {
    let dir = dir.join(format!("holder-{index}"));
    // The passphrase KDF runs at the wallet's open and the keystore's first key, both here,
    // outside every timed span.
    let keystore: Arc<dyn Keystore> = if platform {
        Arc::new(PlatformKeystore::default())
    } else {
        Arc::new(
            SoftwareKeystore::open_with_kdf(
                &dir.join("keys"),
                b"pass",
                KdfParams::INSECURE_FOR_TESTS,
            )
            .unwrap(),
        )
    };
    let first = keystore.generate(KeyAlgorithm::Ed25519).unwrap();
    keystore.delete(&first).unwrap();
    let wallet = Wallet::open_with_kdf(
        &dir,
        b"pass",
        KdfParams::INSECURE_FOR_TESTS,
        keystore,
        Arc::new(HttpTransport::new().unwrap()),
    )
    .unwrap();
    Holder {
        wallet,
        source_id: None,
    }
}

/// p50, p99 and max of `samples` (sorted in place).
fn percentiles(samples: &mut [Duration]) -> (Duration, Duration, Duration) {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() as f64 * q).ceil() as usize).saturating_sub(1)];
    (at(0.50), at(0.99), samples[samples.len() - 1])
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// Every holder receives a fresh CN-GD health code at once; answers each receive's time (the
/// offers are made before the clock starts).
async fn receive_round(
    world: &TwoJurisdictions,
    holders: &mut [Holder],
    trust: &TrustCache,
) -> Vec<Duration> {
    let mut offers = Vec::with_capacity(holders.len());
    for _ in 0..holders.len() {
        offers.push(world.offer(&sample_subject()).await.unwrap());
    }
    let runs = holders
        .iter()
        .zip(&offers)
        .map(|(holder, offer)| async move {
            let start = Instant::now();
            let summary = holder
                .wallet
                .receive(offer, None, trust, OffsetDateTime::now_utc())
                .await
                .unwrap();
            (start.elapsed(), summary.id)
        });
    let results = join_all(runs).await;
    let mut times = Vec::with_capacity(results.len());
    for (holder, (elapsed, id)) in holders.iter_mut().zip(results) {
        holder.source_id = Some(id);
        times.push(elapsed);
    }
    times
}

/// Every holder converts its CN-GD health code into an MO one at once; answers each
/// conversion's time (the whole `Wallet::convert`).
async fn convert_round(
    world: &TwoJurisdictions,
    holders: &[Holder],
    trust: &TrustCache,
) -> Vec<Duration> {
    let url = world.target.url.as_str();
    let runs = holders.iter().map(|holder| async move {
        let id = holder.source_id.as_deref().unwrap();
        let start = Instant::now();
        holder
            .wallet
            .convert(id, url, trust, OffsetDateTime::now_utc())
            .await
            .unwrap();
        start.elapsed()
    });
    join_all(runs).await
}

/// Every holder prepares its conversion request (policy, challenge, disclosure, consent —
/// work its own phone does) before the clock starts, then all send at once; answers each
/// request's time from sending to C_B stored.
async fn request_round(
    world: &TwoJurisdictions,
    holders: &[Holder],
    trust: &TrustCache,
) -> Vec<Duration> {
    let url = world.target.url.as_str();
    let prepared = join_all(holders.iter().map(|holder| async move {
        let id = holder.source_id.as_deref().unwrap();
        holder
            .wallet
            .prepare_conversion(id, url, OffsetDateTime::now_utc())
            .await
            .unwrap()
    }))
    .await;
    let runs = holders
        .iter()
        .zip(prepared)
        .map(|(holder, prepared)| async move {
            let start = Instant::now();
            holder
                .wallet
                .send_conversion(prepared, trust, OffsetDateTime::now_utc())
                .await
                .unwrap();
            start.elapsed()
        });
    join_all(runs).await
}

async fn run() {
    let samples: usize = std::env::var("CONVERSION_SAMPLES")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(100);
    let world = TwoJurisdictions::start(WorldOptions::default())
        .await
        .unwrap();
    let trust = world.wallet_trust().await.unwrap();
    let dir = crosscode_testing::temp_dir("conversion-bench");
    let platform = std::env::var("CONVERSION_KEYSTORE").is_ok_and(|name| name == "platform");
    println!(
        "holder keys: {}",
        if platform {
            "in memory (a platform keystore)"
        } else {
            "software keystore (argon2id-sealed key files)"
        }
    );
    let mut holders: Vec<Holder> = (0..LEVELS[LEVELS.len() - 1])
        .map(|index| open_holder(&dir, index, platform))
        .collect();

    // Warm-up: connections, the desk's trust follower, the first blocks.
    receive_round(&world, &mut holders[..1], &trust).await;
    convert_round(&world, &holders[..1], &trust).await;
    request_round(&world, &holders[..1], &trust).await;

    println!(
        "| holders at once | samples | receive p50 | receive p99 | convert p50 | convert p99 | convert max | conversions/s | request→stored p50 | request→stored p99 | request→stored max |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for level in LEVELS {
        let rounds = samples
            .div_ceil(level)
            .max(if level >= 100 { 3 } else { 1 });
        let mut received = Vec::new();
        let mut converted = Vec::new();
        let mut requested = Vec::new();
        let mut busy = Duration::ZERO;
        for _ in 0..rounds {
            received.extend(receive_round(&world, &mut holders[..level], &trust).await);
            let start = Instant::now();
            converted.extend(convert_round(&world, &holders[..level], &trust).await);
            busy += start.elapsed();
            requested.extend(request_round(&world, &holders[..level], &trust).await);
        }
        let (receive_p50, receive_p99, _) = percentiles(&mut received);
        let (p50, p99, max) = percentiles(&mut converted);
        let (sent_p50, sent_p99, sent_max) = percentiles(&mut requested);
        println!(
            "| {level} | {} | {} | {} | {} | {} | {} | {:.0} | {} | {} | {} |",
            converted.len(),
            ms(receive_p50),
            ms(receive_p99),
            ms(p50),
            ms(p99),
            ms(max),
            converted.len() as f64 / busy.as_secs_f64(),
            ms(sent_p50),
            ms(sent_p99),
            ms(sent_max)
        );
    }
    world.stop().await.unwrap();
}

fn main() {
    // `cargo bench` passes `--bench` (and maybe a filter); there is nothing to filter.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run());
}
