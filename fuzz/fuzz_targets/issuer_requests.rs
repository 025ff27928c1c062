//! Fuzz target: the issuer's back-office request bodies — an unsigned credential checked by
//! `issuance::check` (with `options`), a subject record (`SubjectRecord::from_json`) and a batch
//! record — give typed errors, never a panic; a credential `check` accepts has the issuer's
//! DID and the authority's jurisdiction.
#![no_main]

use std::sync::{Arc, OnceLock};

use crosscode_did_registry::dev::DevAuthority;
use crosscode_did_registry::profile::CryptoProfile;
use crosscode_issuer::authority::{Authority, CredentialKey};
use crosscode_issuer::issuance::{IssuanceContext, IssueOptions, check};
use crosscode_issuer::records::SubjectRecord;
use crosscode_issuer::schemas::Schemas;
use crosscode_issuer::service::BatchRecord;
use libfuzzer_sys::fuzz_target;
use time::OffsetDateTime;

/// The dev authority of MO as an issuance context, without a chain.
fn context() -> &'static IssuanceContext {
    static CONTEXT: OnceLock<IssuanceContext> = OnceLock::new();
    CONTEXT.get_or_init(|| {
        let dev = DevAuthority::derive(CryptoProfile::Standard, "MO");
        let method = |fragment: &str| {
            crosscode_core::did::DidUrl::parse(&format!("{}#{fragment}", dev.did.as_str()))
                .expect("a dev method is a DID URL")
        };
        let mut schemas = Schemas::default();
        schemas.insert("HealthCode", [7; 32]);
        IssuanceContext {
            authority: Authority {
                did: dev.did.clone(),
                chain_id: "crosscode-dev".into(),
                profile: CryptoProfile::Standard,
                scope: dev.scope(0),
                ed25519: Some(CredentialKey {
                    method: method("ed25519-1"),
                    signer: Arc::new(dev.ed25519),
                }),
                sm2: Some(CredentialKey {
                    method: method("sm2-1"),
                    signer: Arc::new(dev.sm2),
                }),
                bbs: Some(CredentialKey {
                    method: method("bbs-1"),
                    signer: Arc::new(dev.bbs),
                }),
                chain_key: Arc::new(dev.chain_key),
            },
            base_url: "http://127.0.0.1:8800".into(),
            schemas,
            validity_seconds: 3600,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 => {
            let Ok(request) = serde_json::from_slice::<serde_json::Value>(body) else {
                return;
            };
            let options = request
                .get("options")
                .and_then(|options| serde_json::from_value::<IssueOptions>(options.clone()).ok())
                .unwrap_or_default();
            let ctx = context();
            if let Ok((credential, _)) = check(ctx, &request, &options, OffsetDateTime::now_utc())
            {
                let did = Some(ctx.authority.did.as_str());
                let issuer = &credential["issuer"];
                assert!(issuer.as_str() == did || issuer["id"].as_str() == did);
            }
        }
        1 => {
            if let Ok(record) = SubjectRecord::from_json(body) {
                let again = SubjectRecord::from_json(&record.to_json());
                assert!(again.is_ok());
            }
        }
        _ => {
            if let Ok(item) = serde_json::from_slice::<BatchRecord>(body) {
                let _ = item.record.validate();
            }
        }
    }
});
