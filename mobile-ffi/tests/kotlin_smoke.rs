//! The Kotlin smoke test: the generated Kotlin bindings and `tests/kotlin/Smoke.kt` compiled
//! with the pinned Kotlin compiler (`$CROSSCODE_KOTLIN_HOME`, installed by `cargo xtask test`)
//! against JNA (`/usr/share/java/jna.jar`, Debian `libjna-java`), run on the JVM against the
//! issuer of MO on loopback: a Kotlin keystore receives and presents, a throwing one is a typed
//! error, and the checkpoint accepts the dynamic QR until its slot is stale.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod foreign;

use std::path::{Path, PathBuf};
use std::process::Command;

use foreign::support::Fixture;
use foreign::{check_dynamic_presentation, generate, library, run};
use serde_json::Value;
use time::OffsetDateTime;

const KOTLIN_HOME_ENV: &str = "CROSSCODE_KOTLIN_HOME";
const JNA_JAR: &str = "/usr/share/java/jna.jar";

fn kotlin_home() -> PathBuf {
    let home = std::env::var_os(KOTLIN_HOME_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            panic!(
                "{KOTLIN_HOME_ENV} is not set: run the tests with `cargo xtask test`, which \
                 installs the pinned Kotlin compiler, or set it to a Kotlin compiler's home"
            )
        });
    assert!(
        home.join("bin/kotlinc").is_file(),
        "{} has no bin/kotlinc",
        home.display()
    );
    assert!(
        Path::new(JNA_JAR).is_file(),
        "{JNA_JAR} is missing (Debian package libjna-java; `cargo xtask test` installs it)"
    );
    home
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kotlin_app_on_the_jvm_receives_and_presents_through_the_bindings() {
    let kotlin = kotlin_home();
    let fixture = Fixture::start().await;
    let trust = fixture.trust().await;
    // One offer for the keystore that throws (the token is redeemed before the proof is signed,
    // so that offer is spent), one for the working keystore.
    let (broken_offer, _) = fixture.offer(false).await;
    let (offer, _) = fixture.offer(false).await;
    let work = crosscode_testing::temp_dir("ffi-kotlin");
    let bindings = work.join("bindings");
    generate("kotlin", &bindings);
    let trust_file = work.join("trust.json");
    std::fs::write(&trust_file, trust.to_json().to_string()).unwrap();
    let out_file = work.join("presented.json");

    let sources = kotlin_sources(&bindings);
    let lib = kotlin.join("lib");
    let classpath = move |extra: &[PathBuf]| {
        std::env::join_paths(extra.iter().cloned().chain([
            PathBuf::from(JNA_JAR),
            lib.join("kotlinx-coroutines-core-jvm.jar"),
            lib.join("kotlin-stdlib.jar"),
        ]))
        .unwrap()
    };
    let output = tokio::task::spawn_blocking({
        let (work, out_file) = (work.to_path_buf(), out_file.clone());
        move || {
            let jar = work.join("smoke.jar");
            run(Command::new(kotlin.join("bin/kotlinc"))
                .args(&sources)
                .arg(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/tests/kotlin/Smoke.kt"
                ))
                .arg("-nowarn")
                .arg("-cp")
                .arg(classpath(&[]))
                .arg("-d")
                .arg(&jar));
            run(Command::new("java")
                .arg(format!(
                    "-Djna.library.path={}",
                    library().parent().unwrap().display()
                ))
                .arg("-cp")
                .arg(classpath(&[jar]))
                .arg("SmokeKt")
                .arg(&trust_file)
                .arg(&broken_offer)
                .arg(&offer)
                .arg(work.join("wallet"))
                .arg(&out_file))
        }
    })
    .await
    .unwrap();
    println!("{output}");

    let presented: Value = serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
    let made_at =
        OffsetDateTime::from_unix_timestamp(presented["madeAt"].as_i64().unwrap()).unwrap();
    let presentation = check_dynamic_presentation(
        presented["payload"].as_str().unwrap(),
        &trust,
        "checkpoint-7",
        made_at,
    );
    assert_eq!(presentation["holder"], presented["holderDid"]);
    fixture.stop().await;
    let _ = std::fs::remove_dir_all(&work);
}

/// The `.kt` files under `dir`.
fn kotlin_sources(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(kotlin_sources(&path));
        } else if path.extension().is_some_and(|e| e == "kt") {
            files.push(path);
        }
    }
    files
}
