//! The back office's bearer token: 32 random bytes, base64url, written at first start to
//! `DIR/back-office.token` (mode 0600, atomically: a temporary file renamed into place) and
//! read back on later starts. Routes that issue, change status, store records or create
//! offers require `Authorization: Bearer <token>`; the comparison is constant-time.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// The token file's name in the data directory.
pub const TOKEN_FILE: &str = "back-office.token";

/// Why the token could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The file could not be read or written.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// The file does not hold a token.
    #[error("{0} does not hold a back-office token")]
    Malformed(PathBuf),
}

/// The back office's bearer token.
#[derive(Clone)]
pub struct BackOfficeToken(Zeroizing<String>);

impl std::fmt::Debug for BackOfficeToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BackOfficeToken(..)")
    }
}

impl BackOfficeToken {
    /// The token of `dir` (created on first call).
    pub fn load_or_create(dir: &Path) -> Result<BackOfficeToken, TokenError> {
        let path = dir.join(TOKEN_FILE);
        let io = |err: std::io::Error| TokenError::Io {
            path: path.clone(),
            message: err.to_string(),
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let token = text.trim();
                if token.len() != 43 || URL_SAFE_NO_PAD.decode(token).is_err() {
                    return Err(TokenError::Malformed(path));
                }
                Ok(BackOfficeToken(Zeroizing::new(token.to_owned())))
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let mut bytes = Zeroizing::new([0u8; 32]);
                rand::rngs::OsRng.fill_bytes(bytes.as_mut());
                let token = Zeroizing::new(URL_SAFE_NO_PAD.encode(bytes.as_ref()));
                let partial = dir.join(format!("{TOKEN_FILE}.partial"));
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create(true).truncate(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options.open(&partial).map_err(io)?;
                file.write_all(format!("{}\n", token.as_str()).as_bytes())
                    .map_err(io)?;
                file.sync_all().map_err(io)?;
                std::fs::rename(&partial, &path).map_err(io)?;
                Ok(BackOfficeToken(token))
            }
            Err(err) => Err(io(err)),
        }
    }

    /// Whether `presented` is the token (constant time).
    pub fn matches(&self, presented: &str) -> bool {
        bool::from(self.0.as_bytes().ct_eq(presented.as_bytes()))
    }

    /// The token's text (for the operator's own tools and tests).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_created_once_with_mode_0600_and_read_back() {
        let dir = crosscode_testing::temp_dir("issuer-token");
        let token = BackOfficeToken::load_or_create(&dir).unwrap();
        let again = BackOfficeToken::load_or_create(&dir).unwrap();
        assert_eq!(token.as_str(), again.as_str());
        assert!(token.matches(again.as_str()));
        assert!(!token.matches("not-the-token"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(TOKEN_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_file_that_is_not_a_token_is_refused() {
        let dir = crosscode_testing::temp_dir("issuer-token-bad");
        std::fs::write(dir.join(TOKEN_FILE), "short\n").unwrap();
        assert!(matches!(
            BackOfficeToken::load_or_create(&dir),
            Err(TokenError::Malformed(_))
        ));
    }
}
