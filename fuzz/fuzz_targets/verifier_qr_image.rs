//! Fuzz target: reading QR codes from arbitrary image bytes (PNG / JPEG decoding, binarisation,
//! rqrr) returns a typed error or texts, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = crosscode_core::envelope::qr_image::read_qr_texts(data);
});
