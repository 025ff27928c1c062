//! Reading QR codes from photos and screenshots (PNG / JPEG) with `rqrr` (feature `qr-image`):
//! the one QR reader of Crosscode, used by the checkpoint verifier and the CLI.
//!
//! An image of at most [`MAX_PIXELS`] pixels is decoded, transparent pixels are composited
//! onto white, and the greyscale image is tried as it is, then binarised with a global Otsu
//! threshold, then both again at half size (images of 400 pixels a side or more). The first
//! candidate in which at least one QR code decodes gives the texts. A panic inside `rqrr`
//! (third-party code on outside input) makes that candidate undecodable; it never ends the
//! process.

/// Largest image accepted, in pixels (a 40-megapixel photo).
pub const MAX_PIXELS: u64 = 40_000_000;

/// Why no QR text could be read from an image.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// Not a decodable PNG or JPEG.
    #[error("not a readable PNG/JPEG image: {0}")]
    Format(String),
    /// The image is too large.
    #[error("image too large ({width}x{height})")]
    TooLarge {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// No QR code found.
    #[error("no QR code found in the image")]
    NoQrCode,
    /// QR codes were found but none decoded.
    #[error("QR code found but could not be decoded: {0}")]
    Undecodable(String),
}

/// Decodes every QR code in an image, returning their texts (at least one).
pub fn read_qr_texts(image_bytes: &[u8]) -> Result<Vec<String>, ImageError> {
    let reader = image::ImageReader::new(std::io::Cursor::new(image_bytes))
        .with_guessed_format()
        .map_err(|e| ImageError::Format(e.to_string()))?;
    let (width, height) = reader
        .into_dimensions()
        .map_err(|e| ImageError::Format(e.to_string()))?;
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(ImageError::TooLarge { width, height });
    }
    let img =
        image::load_from_memory(image_bytes).map_err(|e| ImageError::Format(e.to_string()))?;
    // Composite transparent pixels onto white: a QR drawn on a transparent background would
    // otherwise turn black.
    let luma = if img.color().has_alpha() {
        let rgba = img.to_rgba8();
        image::GrayImage::from_fn(rgba.width(), rgba.height(), |x, y| {
            let [r, g, b, a] = rgba.get_pixel(x, y).0;
            let grey = (u32::from(r) * 299 + u32::from(g) * 587 + u32::from(b) * 114) / 1000;
            let alpha = u32::from(a);
            let blended = (grey * alpha + 255 * (255 - alpha)) / 255;
            image::Luma([u8::try_from(blended).unwrap_or(255)])
        })
    } else {
        img.to_luma8()
    };
    let mut texts = Vec::new();
    let mut last_error = None;
    // Photos vary: try the image as-is, then a global (Otsu) binarisation, then both again at
    // half size (noise and blur shrink, modules stay several pixels wide).
    let half = (luma.width() >= 400 && luma.height() >= 400).then(|| {
        image::imageops::resize(
            &luma,
            luma.width() / 2,
            luma.height() / 2,
            image::imageops::FilterType::Triangle,
        )
    });
    let mut candidates: Vec<image::GrayImage> = vec![luma.clone(), binarize(&luma)];
    if let Some(h) = half {
        candidates.push(binarize(&h));
        candidates.push(h);
    }
    for candidate in &candidates {
        // rqrr is third-party code working on outside input: a panic in it (rqrr issue #54,
        // on some photos) makes this candidate undecodable instead of ending the process.
        match std::panic::catch_unwind(|| decode_grids(candidate)) {
            Ok((found, error)) => {
                texts.extend(found);
                if error.is_some() {
                    last_error = error;
                }
            }
            Err(_) => last_error = Some("the QR decoder failed on this image".to_owned()),
        }
        if !texts.is_empty() {
            return Ok(texts);
        }
    }
    match last_error {
        Some(e) => Err(ImageError::Undecodable(e)),
        None => Err(ImageError::NoQrCode),
    }
}

/// The text of the first QR code found in an image (of an envelope payload, for instance).
pub fn read_qr_text(image_bytes: &[u8]) -> Result<String, ImageError> {
    read_qr_texts(image_bytes)?
        .into_iter()
        .next()
        .ok_or(ImageError::NoQrCode)
}

/// Detects and decodes every QR grid in one greyscale candidate image: the texts decoded and
/// the last decoding error.
fn decode_grids(candidate: &image::GrayImage) -> (Vec<String>, Option<String>) {
    let (cw, ch) = candidate.dimensions();
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(cw as usize, ch as usize, |x, y| {
            candidate.get_pixel(x as u32, y as u32).0[0]
        });
    let mut texts = Vec::new();
    let mut last_error = None;
    for grid in prepared.detect_grids() {
        match grid.decode() {
            Ok((_, text)) => texts.push(text),
            Err(e) => last_error = Some(e.to_string()),
        }
    }
    (texts, last_error)
}

/// Global Otsu threshold: pixels become pure black or white.
fn binarize(img: &image::GrayImage) -> image::GrayImage {
    let mut histogram = [0u64; 256];
    for p in img.pixels() {
        histogram[usize::from(p.0[0])] += 1;
    }
    let total: u64 = histogram.iter().sum();
    let sum_all: f64 = histogram
        .iter()
        .enumerate()
        .map(|(i, &n)| i as f64 * n as f64)
        .sum();
    let (mut weight_bg, mut sum_bg, mut best, mut threshold) = (0u64, 0f64, 0f64, 128u8);
    for (t, &n) in histogram.iter().enumerate() {
        weight_bg += n;
        if weight_bg == 0 || weight_bg == total {
            continue;
        }
        sum_bg += t as f64 * n as f64;
        let weight_fg = total - weight_bg;
        let mean_bg = sum_bg / weight_bg as f64;
        let mean_fg = (sum_all - sum_bg) / weight_fg as f64;
        let between = weight_bg as f64 * weight_fg as f64 * (mean_bg - mean_fg).powi(2);
        if between > best {
            best = between;
            threshold = u8::try_from(t).unwrap_or(128);
        }
    }
    image::GrayImage::from_fn(img.width(), img.height(), |x, y| {
        image::Luma([if img.get_pixel(x, y).0[0] > threshold {
            255
        } else {
            0
        }])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_a_typed_error() {
        assert!(matches!(
            read_qr_texts(b"not an image"),
            Err(ImageError::Format(_))
        ));
        let blank = image::GrayImage::from_pixel(64, 64, image::Luma([255u8]));
        let mut png = Vec::new();
        blank
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        assert!(matches!(read_qr_texts(&png), Err(ImageError::NoQrCode)));
    }

    #[test]
    fn transparent_background_reads_as_white() {
        let qr = qrcode_like();
        let rgba = image::RgbaImage::from_fn(qr.width(), qr.height(), |x, y| {
            if qr.get_pixel(x, y).0[0] < 128 {
                image::Rgba([0, 0, 0, 255])
            } else {
                image::Rgba([0, 0, 0, 0])
            }
        });
        let mut png = Vec::new();
        rgba.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        assert_eq!(read_qr_texts(&png).unwrap(), vec!["HC1:TEST".to_owned()]);
    }

    #[test]
    fn a_png_declaring_ten_thousand_pixels_a_side_is_refused_before_decoding() {
        let mut png = Vec::new();
        image::GrayImage::from_pixel(8, 8, image::Luma([255u8]))
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        // IHDR data starts at byte 16: width, height (big endian); CRC after 13 bytes of data.
        png[16..20].copy_from_slice(&10_000u32.to_be_bytes());
        png[20..24].copy_from_slice(&10_000u32.to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(&png[12..29]);
        png[29..33].copy_from_slice(&crc.sum().to_be_bytes());
        assert!(matches!(
            read_qr_texts(&png),
            Err(ImageError::TooLarge {
                width: 10_000,
                height: 10_000
            })
        ));
    }

    /// A real QR code of "HC1:TEST" with a quiet zone.
    fn qrcode_like() -> image::GrayImage {
        qrcode::QrCode::new(b"HC1:TEST")
            .unwrap()
            .render::<image::Luma<u8>>()
            .module_dimensions(8, 8)
            .build()
    }
}
