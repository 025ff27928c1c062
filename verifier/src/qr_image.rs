//! Reading QR codes from photos and screenshots (PNG / JPEG) with `rqrr`.

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

/// Decode every QR code in an image, returning their texts (at least one).
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
    let luma = img.to_luma8();
    let (w, h) = luma.dimensions();
    let mut texts = Vec::new();
    let mut last_error = None;
    for attempt in 0..2 {
        // Second attempt: a 2x downscale helps with noisy high-resolution photos.
        let candidate = if attempt == 0 {
            luma.clone()
        } else {
            if w < 400 || h < 400 {
                break;
            }
            image::imageops::resize(&luma, w / 2, h / 2, image::imageops::FilterType::Triangle)
        };
        let (cw, ch) = candidate.dimensions();
        let mut prepared =
            rqrr::PreparedImage::prepare_from_greyscale(cw as usize, ch as usize, |x, y| {
                candidate.get_pixel(x as u32, y as u32).0[0]
            });
        for grid in prepared.detect_grids() {
            match grid.decode() {
                Ok((_, text)) => texts.push(text),
                Err(e) => last_error = Some(e.to_string()),
            }
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
}
