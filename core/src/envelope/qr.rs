//! QR codes of an envelope payload: written at error-correction level Q in alphanumeric mode
//! (SVG, terminal, and PNG with feature `qr-image`). Reading them back from an image is
//! [`super::qr_image`]'s (feature `qr-image`).

use qrcode::bits::Bits;
use qrcode::render::{svg, unicode};
pub use qrcode::{EcLevel, QrCode, Version};

/// Pixels per QR module in `render_png` images.
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
#[cfg(feature = "qr-image")]
pub fn render_png(payload: &str) -> Result<Vec<u8>, QrError> {
    png_of(&qr_code(payload)?)
}

/// A PNG image of the QR code of any text (byte mode, level M; e.g. an
/// `openid-credential-offer://` URI, which is not alphanumeric), [`PNG_MODULE_PIXELS`] pixels
/// a module, quiet zone included.
#[cfg(feature = "qr-image")]
pub fn render_text_png(text: &str) -> Result<Vec<u8>, QrError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|_| QrError::TooLong(text.len()))?;
    png_of(&code)
}

/// The PNG image of a QR symbol ([`PNG_MODULE_PIXELS`] pixels a module, quiet zone included).
#[cfg(feature = "qr-image")]
fn png_of(code: &QrCode) -> Result<Vec<u8>, QrError> {
    let image = code
        .render::<image::Luma<u8>>()
        .module_dimensions(PNG_MODULE_PIXELS, PNG_MODULE_PIXELS)
        .build();
    let mut png = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut png, image::ImageFormat::Png)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_and_terminal_renderings_and_typed_errors() {
        let payload = "CC1:6BFOXN*TS0BI$ZD8UHV";
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
    }

    #[cfg(feature = "qr-image")]
    #[test]
    fn a_rendered_png_reads_back_as_the_payload() {
        let payload = "CC1:6BFOXN*TS0BI$ZD8UHV";
        let png = render_png(payload).unwrap();
        assert_eq!(super::super::qr_image::read_qr_text(&png).unwrap(), payload);
    }
}
