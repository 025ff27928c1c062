//! UniFFI's binding generator, built from the same UniFFI version as the library:
//! `cargo run -p crosscode-mobile-ffi --bin uniffi-bindgen -- generate --library
//! <libcrosscode_mobile_ffi.so> --language kotlin|swift|python --out-dir DIR` (docs/wallet.md).

fn main() {
    uniffi::uniffi_bindgen_main()
}
