//! The services' logs, captured for the audit: every `tracing` event of every level from every
//! crate of this process — the registry node, both issuer services and their conversion desk,
//! the gate, the HTTP stack beneath them — formatted as the `crosscode` binary prints them
//! (`tracing-subscriber`'s `fmt`) into one buffer the audit scans like any recorded message.
//!
//! The capture is the process's global subscriber, so it is installed once per test binary
//! and sees every test of it; a test reads [`LogCapture::contents`] after its flow.

use std::io;
use std::sync::{Arc, Mutex, OnceLock};

use tracing::level_filters::LevelFilter;

/// Why the capture could not be installed.
#[derive(Debug, Clone, thiserror::Error)]
#[error("another global log subscriber is installed in this process")]
pub struct LogCaptureError;

/// The buffer every event is written to (see the module documentation).
#[derive(Clone, Debug)]
pub struct LogCapture {
    buffer: Arc<Mutex<Vec<u8>>>,
}

static INSTALLED: OnceLock<Result<LogCapture, LogCaptureError>> = OnceLock::new();

impl LogCapture {
    /// Installs the capture as this process's global subscriber (once; later calls answer the
    /// same capture).
    pub fn install() -> Result<LogCapture, LogCaptureError> {
        INSTALLED
            .get_or_init(|| {
                let capture = LogCapture {
                    buffer: Arc::new(Mutex::new(Vec::new())),
                };
                let buffer = capture.buffer.clone();
                tracing_subscriber::fmt()
                    .with_max_level(LevelFilter::TRACE)
                    .with_ansi(false)
                    .with_writer(move || BufferWriter(buffer.clone()))
                    .try_init()
                    .map(|()| capture)
                    .map_err(|_| LogCaptureError)
            })
            .clone()
    }

    /// Everything logged since the capture was installed.
    pub fn contents(&self) -> Vec<u8> {
        match self.buffer.lock() {
            Ok(buffer) => buffer.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

/// One event's writer: appends to the shared buffer.
struct BufferWriter(Arc<Mutex<Vec<u8>>>);

impl io::Write for BufferWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        match self.0.lock() {
            Ok(mut buffer) => buffer.extend_from_slice(bytes),
            Err(poisoned) => poisoned.into_inner().extend_from_slice(bytes),
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
