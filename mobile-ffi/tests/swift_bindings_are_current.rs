//! The Swift bindings are kept in the repository (`mobile-ffi/bindings/swift/`: an iOS app
//! builds them with the static library). This test regenerates them from the library built
//! beside it and fails when the committed ones differ; to update them run
//! `CROSSCODE_UPDATE_BINDINGS=1 cargo nextest run --workspace -E 'test(swift_bindings)'`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod foreign;

use std::path::Path;

use foreign::generate;

const UPDATE_ENV: &str = "CROSSCODE_UPDATE_BINDINGS";

#[test]
fn the_committed_swift_bindings_match_the_library() {
    let fresh = crosscode_testing::temp_dir("ffi-swift");
    generate("swift", &fresh);
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("bindings/swift");
    let update = std::env::var_os(UPDATE_ENV).is_some_and(|v| v == "1");
    let mut names: Vec<String> = std::fs::read_dir(&fresh)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.iter().any(|n| n.ends_with(".swift")), "{names:?}");
    if update {
        std::fs::create_dir_all(&committed).unwrap();
    }
    let mut stale = Vec::new();
    for name in &names {
        let new = std::fs::read(fresh.join(name)).unwrap();
        let path = committed.join(name);
        if std::fs::read(&path).ok().as_deref() != Some(new.as_slice()) {
            if update {
                std::fs::write(&path, &new).unwrap();
            } else {
                stale.push(name.clone());
            }
        }
    }
    let _ = std::fs::remove_dir_all(&fresh);
    assert!(
        stale.is_empty(),
        "the Swift bindings in {} are stale: {stale:?}; regenerate them with \
         {UPDATE_ENV}=1 cargo nextest run --workspace -E 'test(swift_bindings)'",
        committed.display()
    );
}
