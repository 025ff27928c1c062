//! QR images of an envelope payload: written at error-correction level Q in alphanumeric mode
//! (PNG, SVG, terminal) and read back from a PNG (`rqrr`).

use std::io::Cursor;

use image::{ImageFormat, ImageReader, Limits, Luma};
use qrcode::bits::Bits;
use qrcode::render::{svg, unicode};
pub use qrcode::{EcLevel, QrCode, Version};

/// The largest image side accepted by [`read_png`], in pixels.
pub const MAX_IMAGE_SIDE: u32 = 8192;

/// Pixels per QR module in [`render_png`] images.
pub const PNG_MODULE_PIXELS: u32 = 8;

/// Why a QR image could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum QrError {
    /// The payload has a character outside the QR alphanumeric set (`0-9A-Z $%*+-./:`).
    #[error("payload has a character outside the QR alphanumeric set at byte {0}")]
    NotAlphanumeric(usize),
    /// The payload does not fit in a version-40 QR code at level Q.
    #[error("payload of {0} characters does not fit in a QR code at error-correction level Q")]
    TooLong(usize),
    /// The QR symbol could not be built.
    #[error("QR symbol could not be built: {0}")]
    Symbol(String),
    /// The PNG could not be written.
    #[error("PNG could not be written: {0}")]
    PngWrite(String),
    /// The image could not be read (format, corruption, or larger than [`MAX_IMAGE_SIDE`]).
    #[error("image could not be read: {0}")]
    ImageRead(String),
    /// No QR code was found in the image.
    #[error("no QR code found in the image")]
    NoQrCode,
    /// A QR code was found but could not be decoded.
    #[error("QR code could not be decoded: {0}")]
    QrDecode(String),
}

/// Whether `byte` is in the QR alphanumeric character set.
pub fn is_alphanumeric(byte: u8) -> bool {
    matches!(byte, b'0'..=b'9' | b'A'..=b'Z' | b' ' | b'$' | b'%' | b'*' | b'+' | b'-' | b'.' | b'/' | b':')
}

/// The QR symbol of `payload`: one alphanumeric segment, level Q, the smallest version that
/// holds it.
pub fn qr_code(payload: &str) -> Result<QrCode, QrError> {
    if let Some(position) = payload.bytes().position(|byte| !is_alphanumeric(byte)) {
        return Err(QrError::NotAlphanumeric(position));
    }
    for version in 1..=40 {
        let mut bits = Bits::new(Version::Normal(version));
        let fits = bits.push_alphanumeric_data(payload.as_bytes()).is_ok()
            && bits.push_terminator(EcLevel::Q).is_ok();
        if fits {
            return QrCode::with_bits(bits, EcLevel::Q)
                .map_err(|err| QrError::Symbol(err.to_string()));
        }
    }
    Err(QrError::TooLong(payload.len()))
}

/// A PNG image of the QR code of `payload` ([`PNG_MODULE_PIXELS`] pixels a module, quiet zone
/// included).
pub fn render_png(payload: &str) -> Result<Vec<u8>, QrError> {
    let code = qr_code(payload)?;
    let image = code
        .render::<Luma<u8>>()
        .module_dimensions(PNG_MODULE_PIXELS, PNG_MODULE_PIXELS)
        .build();
    let mut png = Cursor::new(Vec::new());
    image
        .write_to(&mut png, ImageFormat::Png)
        .map_err(|err| QrError::PngWrite(err.to_string()))?;
    Ok(png.into_inner())
}

/// An SVG document of the QR code of `payload`.
pub fn render_svg(payload: &str) -> Result<String, QrError> {
    let code = qr_code(payload)?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build())
}

/// The QR code of `payload` for a terminal: Unicode half blocks, two modules a character
/// (dark modules drawn in the terminal's foreground colour on a light quiet zone).
pub fn render_terminal(payload: &str) -> Result<String, QrError> {
    let code = qr_code(payload)?;
    Ok(code
        .render::<unicode::Dense1x2>()
        .dark_color(unicode::Dense1x2::Light)
        .light_color(unicode::Dense1x2::Dark)
        .build())
}

/// Reads the text of the first QR code found in a PNG (or JPEG) image.
pub fn read_png(image_bytes: &[u8]) -> Result<String, QrError> {
    let mut reader = ImageReader::new(Cursor::new(image_bytes))
        .with_guessed_format()
        .map_err(|err| QrError::ImageRead(err.to_string()))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    reader.limits(limits);
    let image = reader
        .decode()
        .map_err(|err| QrError::ImageRead(err.to_string()))?
        .to_luma8();
    // rqrr is third-party code working on outside input: a panic in it becomes a typed error.
    let outcome = std::panic::catch_unwind(move || {
        let mut prepared = rqrr::PreparedImage::prepare(image);
        let grids = prepared.detect_grids();
        let mut first_error = None;
        for grid in grids {
            match grid.decode() {
                Ok((_meta, text)) => return Ok(text),
                Err(err) => {
                    first_error.get_or_insert(err.to_string());
                }
            }
        }
        Err(first_error.map_or(QrError::NoQrCode, QrError::QrDecode))
    });
    outcome.unwrap_or_else(|_| {
        Err(QrError::QrDecode(
            "QR reader failed on this image".to_owned(),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_round_trip_and_errors() {
        let payload = "CC1:6BFOXN*TS0BI$ZD8UHV";
        let png = render_png(payload).unwrap();
        assert_eq!(read_png(&png).unwrap(), payload);
        assert!(render_svg(payload).unwrap().starts_with("<?xml"));
        assert!(render_terminal(payload).unwrap().contains('▀'));
        assert!(matches!(
            qr_code("cc1:lower"),
            Err(QrError::NotAlphanumeric(0))
        ));
        assert!(matches!(
            qr_code(&"A".repeat(5000)),
            Err(QrError::TooLong(5000))
        ));
        assert!(matches!(
            read_png(b"not an image"),
            Err(QrError::ImageRead(_))
        ));
        let blank = image::GrayImage::from_pixel(64, 64, Luma([255]));
        let mut png = Cursor::new(Vec::new());
        blank.write_to(&mut png, ImageFormat::Png).unwrap();
        assert!(matches!(read_png(png.get_ref()), Err(QrError::NoQrCode)));
    }
}
