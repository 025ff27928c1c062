//! The offline trust store: EU DCC document-signer certificates, SMART Health Card issuer keys
//! (JWKS by `iss`, or a verified VCI directory snapshot) with their `x5c` chains, the X.509
//! roots those chains may be required to reach, and revocation lists.
//!
//! Loading formats are described in `docs/verifier.md`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

use crate::certificate::{CertificateError, DocumentSigner};
use crate::revocation::{DccRevocationList, RevocationListError, ShcRevocationList};
use crate::signature::{KeyError, VerificationKey};
use crate::vci::{self, VciError};
use crate::x5c::{TrustAnchor, X5cChain, X5cError};

/// Why trust material could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustStoreError {
    /// A file could not be read.
    #[error("cannot read {path}: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        message: String,
    },
    /// The file's format is not recognised.
    #[error(
        "{0}: not a recognised trust file (PEM/DER certificate, DCC trust list, JWKS with iss, VCI snapshot, CRL, revocation list, or trust bundle)"
    )]
    UnknownFormat(PathBuf),
    /// A certificate could not be parsed.
    #[error(transparent)]
    Certificate(#[from] CertificateError),
    /// A JSON document is malformed or of the wrong shape.
    #[error("trust JSON: {0}")]
    Json(String),
    /// A JWK could not be used.
    #[error("JWK {kid:?}: {reason}")]
    Jwk {
        /// The JWK's kid.
        kid: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A VCI snapshot was refused.
    #[error(transparent)]
    Vci(#[from] VciError),
    /// A revocation list was refused.
    #[error(transparent)]
    Revocation(#[from] RevocationListError),
}

/// One SMART Health Card issuer key.
#[derive(Debug, Clone)]
pub struct ShcKey {
    /// The kid (RFC 7638 thumbprint).
    pub kid: String,
    /// The P-256 key.
    pub key: VerificationKey,
    /// `crlVersion` of the JWK, when the issuer publishes revocation lists for it.
    pub crl_version: Option<u64>,
    /// The JWK's `x5c` certificate chain when it has one: checked on loading, a broken chain
    /// kept as its error (cards signed with the key are refused with it, `X5C_INVALID`).
    pub x5c: Option<Result<X5cChain, X5cError>>,
}

/// One SMART Health Card issuer.
#[derive(Debug, Clone, Default)]
pub struct ShcIssuer {
    /// Display name, when known.
    pub name: Option<String>,
    /// Keys (several may share a kid).
    pub keys: Vec<ShcKey>,
    /// Revocation lists by kid.
    pub crls: HashMap<String, ShcRevocationList>,
}

/// The offline trust store.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    dsc_by_kid: HashMap<Vec<u8>, Vec<DocumentSigner>>,
    shc_issuers: HashMap<String, ShcIssuer>,
    shc_roots: Vec<TrustAnchor>,
    dcc_revocations: DccRevocationList,
}

/// RFC 7638 thumbprint of an EC P-256 JWK (base64url SHA-256 of the canonical members).
pub fn jwk_thumbprint(crv: &str, x: &str, y: &str) -> String {
    let canonical = format!(r#"{{"crv":"{crv}","kty":"EC","x":"{x}","y":"{y}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

fn read(path: &Path) -> Result<Vec<u8>, TrustStoreError> {
    std::fs::read(path).map_err(|e| TrustStoreError::Io {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

impl TrustStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a document-signer certificate.
    pub fn add_document_signer(&mut self, dsc: DocumentSigner) {
        let entry = self.dsc_by_kid.entry(dsc.kid.to_vec()).or_default();
        if !entry.iter().any(|d| d.key == dsc.key) {
            entry.push(dsc);
        }
    }

    /// Add a DER certificate.
    pub fn add_dsc_der(&mut self, der: &[u8]) -> Result<(), TrustStoreError> {
        self.add_document_signer(DocumentSigner::from_der(der)?);
        Ok(())
    }

    /// Add every certificate of a PEM text; returns how many.
    pub fn add_dsc_pem(&mut self, pem: &str) -> Result<usize, TrustStoreError> {
        let dscs = DocumentSigner::from_pem(pem)?;
        let n = dscs.len();
        dscs.into_iter().for_each(|d| self.add_document_signer(d));
        Ok(n)
    }

    /// Add a DCC-gateway-style trust list: an array (or `{"certificates":[…]}`) of objects with
    /// `rawData` (base64 DER); `certificateType`, when present, must be `DSC`.
    pub fn add_dcc_trust_list(
        &mut self,
        json: &serde_json::Value,
    ) -> Result<usize, TrustStoreError> {
        let entries = json
            .as_array()
            .or_else(|| json.get("certificates").and_then(|v| v.as_array()))
            .ok_or_else(|| TrustStoreError::Json("DCC trust list must be an array".into()))?;
        let mut n = 0;
        for entry in entries {
            if let Some(t) = entry.get("certificateType").and_then(|v| v.as_str())
                && t != "DSC"
            {
                continue;
            }
            let raw = entry
                .get("rawData")
                .and_then(|v| v.as_str())
                .ok_or_else(|| TrustStoreError::Json("trust-list entry without rawData".into()))?;
            let der = STANDARD
                .decode(raw.trim())
                .map_err(|e| TrustStoreError::Json(format!("rawData: {e}")))?;
            self.add_dsc_der(&der)?;
            n += 1;
        }
        Ok(n)
    }

    /// The DSCs whose kid equals `kid` (8-byte kids can collide: try every one).
    pub fn document_signers(&self, kid: &[u8]) -> &[DocumentSigner] {
        self.dsc_by_kid
            .get(kid)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Number of DSCs.
    pub fn document_signer_count(&self) -> usize {
        self.dsc_by_kid.values().map(Vec::len).sum()
    }

    /// Add an issuer's JWKS (`{"keys":[…]}`) under `iss`. Keys that are not EC P-256, or whose
    /// kid is not their RFC 7638 thumbprint, are refused with an error.
    pub fn add_shc_jwks(
        &mut self,
        iss: &str,
        jwks: &serde_json::Value,
    ) -> Result<usize, TrustStoreError> {
        let keys = jwks
            .get("keys")
            .and_then(|v| v.as_array())
            .ok_or_else(|| TrustStoreError::Json("JWKS without keys array".into()))?;
        let parsed = keys
            .iter()
            .map(parse_shc_jwk)
            .collect::<Result<Vec<_>, _>>()?;
        let n = parsed.len();
        let issuer = self.shc_issuers.entry(iss.to_owned()).or_default();
        for key in parsed {
            if !issuer
                .keys
                .iter()
                .any(|k| k.kid == key.kid && k.key == key.key && k.x5c == key.x5c)
            {
                issuer.keys.push(key);
            }
        }
        Ok(n)
    }

    /// Add a SMART Health Card revocation list for `iss`.
    pub fn add_shc_crl(
        &mut self,
        iss: &str,
        crl: &serde_json::Value,
    ) -> Result<(), TrustStoreError> {
        let crl = ShcRevocationList::from_json(crl)?;
        let issuer = self.shc_issuers.entry(iss.to_owned()).or_default();
        match issuer.crls.get(&crl.kid) {
            Some(existing) if existing.counter >= crl.counter => {}
            _ => {
                issuer.crls.insert(crl.kid.clone(), crl);
            }
        }
        Ok(())
    }

    /// Keys of `iss` with this kid.
    pub fn shc_keys(&self, iss: &str, kid: &str) -> Vec<&ShcKey> {
        self.shc_issuers
            .get(iss)
            .map(|i| i.keys.iter().filter(|k| k.kid == kid).collect())
            .unwrap_or_default()
    }

    /// Whether `iss` is a known issuer.
    pub fn knows_shc_issuer(&self, iss: &str) -> bool {
        self.shc_issuers
            .get(iss)
            .is_some_and(|i| !i.keys.is_empty())
    }

    /// The revocation list of `iss` for `kid`.
    pub fn shc_crl(&self, iss: &str, kid: &str) -> Option<&ShcRevocationList> {
        self.shc_issuers.get(iss).and_then(|i| i.crls.get(kid))
    }

    /// Number of SHC issuers and keys.
    pub fn shc_counts(&self) -> (usize, usize) {
        (
            self.shc_issuers.len(),
            self.shc_issuers.values().map(|i| i.keys.len()).sum(),
        )
    }

    /// Trust `root` as an anchor of SMART Health Card `x5c` chains. Once any root is
    /// configured, a key with an `x5c` chain is only used when its chain reaches one of them
    /// and its leaf names the card's issuer (`docs/verifier.md`).
    pub fn add_shc_root(&mut self, root: TrustAnchor) {
        if !self.shc_roots.contains(&root) {
            self.shc_roots.push(root);
        }
    }

    /// Add every root certificate of a PEM text, or one DER certificate; returns how many.
    pub fn add_shc_roots(&mut self, bytes: &[u8]) -> Result<usize, TrustStoreError> {
        let roots = match std::str::from_utf8(bytes) {
            Ok(pem) if pem.contains("-----BEGIN CERTIFICATE-----") => TrustAnchor::from_pem(pem)?,
            _ => vec![TrustAnchor::from_der(bytes)?],
        };
        let n = roots.len();
        roots.into_iter().for_each(|r| self.add_shc_root(r));
        Ok(n)
    }

    /// Load a file of SHC root certificates (PEM, or one DER certificate). A certificate file
    /// given to [`TrustStore::load_file`] is a DCC document signer: SHC roots have their own
    /// entry point (CLI `--shc-root`, bundle member `shcRoots`).
    pub fn load_shc_roots_file(&mut self, path: &Path) -> Result<String, TrustStoreError> {
        let n = self.add_shc_roots(&read(path)?)?;
        Ok(format!("{n} SHC x5c root certificate(s)"))
    }

    /// The configured roots of SHC `x5c` chains (empty: JWKS trust alone decides).
    pub fn shc_roots(&self) -> &[TrustAnchor] {
        &self.shc_roots
    }

    /// Verify a VCI directory snapshot (P-521 / SHA-512) and add its issuers, keys and CRLs.
    /// Returns the number of keys added. Nothing is added when the signature fails.
    pub fn add_vci_snapshot(
        &mut self,
        snapshot: &[u8],
        signature_der: &[u8],
        signer_certificate_pem: &[u8],
    ) -> Result<usize, TrustStoreError> {
        let verified = vci::load_snapshot(snapshot, signature_der, signer_certificate_pem)?;
        // Parse everything first so that a bad entry adds nothing.
        let mut staged = Vec::with_capacity(verified.issuers.len());
        for issuer in &verified.issuers {
            // A malformed key of one issuer must not block the other 650: skip it.
            let keys: Vec<ShcKey> = issuer
                .keys
                .iter()
                .filter_map(|k| parse_shc_jwk(k).ok())
                .collect();
            let crls = issuer
                .crls
                .iter()
                .map(ShcRevocationList::from_json)
                .collect::<Result<Vec<_>, _>>()?;
            staged.push((issuer.iss.clone(), issuer.name.clone(), keys, crls));
        }
        let mut n = 0;
        for (iss, name, keys, crls) in staged {
            let entry = self.shc_issuers.entry(iss).or_default();
            entry.name = entry.name.take().or(name);
            n += keys.len();
            entry.keys.extend(keys);
            for crl in crls {
                entry.crls.insert(crl.kid.clone(), crl);
            }
        }
        Ok(n)
    }

    /// Add DCC revocation hashes (`{"dccRevocations":[…]}`).
    pub fn add_dcc_revocations(
        &mut self,
        json: &serde_json::Value,
    ) -> Result<usize, TrustStoreError> {
        Ok(self.dcc_revocations.add_json(json)?)
    }

    /// The DCC revocation list.
    pub fn dcc_revocations(&self) -> &DccRevocationList {
        &self.dcc_revocations
    }

    /// Load a trust file, detecting its format (see `docs/verifier.md`):
    /// PEM or DER certificate(s); a DCC trust list (array with `rawData`); a JWKS with an `iss`
    /// member; a SHC CRL with an `iss` member; `{"dccRevocations":…}`; a VCI snapshot
    /// (`issuerInfo`) with its `.sig` beside it and the signer certificate `vci_snapshot.crt` in
    /// the same or the parent folder; or a trust bundle (`{"crosscodeTrustBundle":1,…}`).
    /// Returns a short description of what was loaded.
    pub fn load_file(&mut self, path: &Path) -> Result<String, TrustStoreError> {
        let bytes = read(path)?;
        let text = std::str::from_utf8(&bytes).ok();
        if let Some(t) = text
            && t.contains("-----BEGIN CERTIFICATE-----")
        {
            let n = self.add_dsc_pem(t)?;
            return Ok(format!("{n} DCC document-signer certificate(s) (PEM)"));
        }
        if bytes.first() == Some(&0x30) {
            self.add_dsc_der(&bytes)?;
            return Ok("1 DCC document-signer certificate (DER)".into());
        }
        let json: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|_| TrustStoreError::UnknownFormat(path.to_owned()))?;
        self.load_json(path, &bytes, &json)
    }

    fn load_json(
        &mut self,
        path: &Path,
        bytes: &[u8],
        json: &serde_json::Value,
    ) -> Result<String, TrustStoreError> {
        let base = path.parent().unwrap_or_else(|| Path::new("."));
        let iss = json.get("iss").and_then(|v| v.as_str());
        if json.get("crosscodeTrustBundle").is_some() {
            return self.load_bundle(base, json);
        }
        if json.is_array() || json.get("certificates").is_some() {
            let n = self.add_dcc_trust_list(json)?;
            return Ok(format!(
                "{n} DCC document-signer certificate(s) (trust list)"
            ));
        }
        if json.get("dccRevocations").is_some() {
            let n = self.add_dcc_revocations(json)?;
            return Ok(format!("{n} DCC revocation hash(es)"));
        }
        if json.get("issuerInfo").is_some() {
            let sig_path = path.with_extension("sig");
            let signature = read(&sig_path)?;
            let cert_name = "vci_snapshot.crt";
            let cert_path = [base.join(cert_name), base.join("..").join(cert_name)]
                .into_iter()
                .find(|p| p.exists())
                .ok_or_else(|| TrustStoreError::Io {
                    path: base.join(cert_name),
                    message: "signer certificate not found beside the snapshot".into(),
                })?;
            let cert = read(&cert_path)?;
            let n = self.add_vci_snapshot(bytes, &signature, &cert)?;
            return Ok(format!(
                "{n} SHC issuer key(s) from a verified VCI snapshot"
            ));
        }
        if let (Some(iss), Some(_)) = (iss, json.get("keys")) {
            let n = self.add_shc_jwks(iss, json)?;
            return Ok(format!("{n} SHC key(s) for {iss}"));
        }
        if let (Some(iss), Some(_)) = (iss, json.get("rids")) {
            self.add_shc_crl(iss, json)?;
            return Ok(format!("1 SHC revocation list for {iss}"));
        }
        Err(TrustStoreError::UnknownFormat(path.to_owned()))
    }

    /// Load a plain SHC JWKS (`{"keys":[…]}`) or CRL (`{"kid","method":"rid",…}`) file for the
    /// issuer `iss` (the file itself does not name its issuer).
    pub fn load_shc_file(&mut self, iss: &str, path: &Path) -> Result<String, TrustStoreError> {
        let bytes = read(path)?;
        let json: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|_| TrustStoreError::UnknownFormat(path.to_owned()))?;
        if json.get("keys").is_some() {
            let n = self.add_shc_jwks(iss, &json)?;
            Ok(format!("{n} SHC key(s) for {iss}"))
        } else if json.get("rids").is_some() {
            self.add_shc_crl(iss, &json)?;
            Ok(format!("1 SHC revocation list for {iss}"))
        } else {
            Err(TrustStoreError::UnknownFormat(path.to_owned()))
        }
    }

    /// Load a trust bundle: `{"crosscodeTrustBundle":1, "dcc":[files], "shc":[{"iss", "jwks",
    /// "crls":[files]}], "shcRoots":[files], "vci":[{"snapshot","signature","certificate"}],
    /// "dccRevocations":[files]}` with paths relative to the bundle.
    fn load_bundle(
        &mut self,
        base: &Path,
        json: &serde_json::Value,
    ) -> Result<String, TrustStoreError> {
        let strings = |v: Option<&serde_json::Value>| -> Vec<String> {
            v.and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut loaded = Vec::new();
        for file in strings(json.get("dcc"))
            .into_iter()
            .chain(strings(json.get("dccRevocations")))
        {
            loaded.push(self.load_file(&base.join(file))?);
        }
        for file in strings(json.get("shcRoots")) {
            loaded.push(self.load_shc_roots_file(&base.join(file))?);
        }
        for shc in json
            .get("shc")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
        {
            let iss = shc
                .get("iss")
                .and_then(|v| v.as_str())
                .ok_or_else(|| TrustStoreError::Json("bundle shc entry without iss".into()))?;
            if let Some(jwks) = shc.get("jwks").and_then(|v| v.as_str()) {
                let p = base.join(jwks);
                let doc: serde_json::Value = serde_json::from_slice(&read(&p)?)
                    .map_err(|e| TrustStoreError::Json(format!("{}: {e}", p.display())))?;
                let n = self.add_shc_jwks(iss, &doc)?;
                loaded.push(format!("{n} SHC key(s) for {iss}"));
            }
            for crl in strings(shc.get("crls")) {
                let p = base.join(crl);
                let doc: serde_json::Value = serde_json::from_slice(&read(&p)?)
                    .map_err(|e| TrustStoreError::Json(format!("{}: {e}", p.display())))?;
                self.add_shc_crl(iss, &doc)?;
                loaded.push(format!("1 SHC revocation list for {iss}"));
            }
        }
        for v in json
            .get("vci")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
        {
            let field = |k: &str| {
                v.get(k)
                    .and_then(|s| s.as_str())
                    .map(|s| base.join(s))
                    .ok_or_else(|| TrustStoreError::Json(format!("bundle vci entry without {k}")))
            };
            let n = self.add_vci_snapshot(
                &read(&field("snapshot")?)?,
                &read(&field("signature")?)?,
                &read(&field("certificate")?)?,
            )?;
            loaded.push(format!(
                "{n} SHC issuer key(s) from a verified VCI snapshot"
            ));
        }
        Ok(format!("bundle: {}", loaded.join("; ")))
    }
}

fn parse_shc_jwk(jwk: &serde_json::Value) -> Result<ShcKey, TrustStoreError> {
    let s = |k: &str| jwk.get(k).and_then(|v| v.as_str());
    let kid = s("kid").unwrap_or_default().to_owned();
    let err = |reason: &str| TrustStoreError::Jwk {
        kid: kid.clone(),
        reason: reason.to_owned(),
    };
    if s("kty") != Some("EC") || s("crv") != Some("P-256") {
        return Err(err("not an EC P-256 key"));
    }
    if let Some(alg) = s("alg")
        && alg != "ES256"
    {
        return Err(err("alg is not ES256"));
    }
    let (Some(x), Some(y)) = (s("x"), s("y")) else {
        return Err(err("missing x/y"));
    };
    if jwk_thumbprint("P-256", x, y) != kid {
        return Err(err("kid is not the RFC 7638 thumbprint of the key"));
    }
    let xb = URL_SAFE_NO_PAD
        .decode(x)
        .map_err(|_| err("x is not base64url"))?;
    let yb = URL_SAFE_NO_PAD
        .decode(y)
        .map_err(|_| err("y is not base64url"))?;
    let key = VerificationKey::p256_from_coordinates(&xb, &yb)
        .map_err(|e: KeyError| err(&e.to_string()))?;
    let crl_version = match jwk.get("crlVersion") {
        Some(serde_json::Value::Number(n)) => n.as_u64(),
        Some(serde_json::Value::String(t)) => t.parse().ok(),
        _ => None,
    };
    let x5c = jwk
        .get("x5c")
        .map(|chain| X5cChain::from_jwk_member(chain, &key));
    Ok(ShcKey {
        kid,
        key,
        crl_version,
        x5c,
    })
}
