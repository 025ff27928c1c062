//! Fuzz target: everything a wallet reads from the network while receiving a credential — the
//! offer URI, the issuer and authorization-server metadata, the nonce, token and credential
//! responses, the status lists — gives a credential or a typed error, never a panic, and a
//! refused credential leaves no holder key behind.
//!
//! Input: the offer URI, then one answer per request, separated by `0xff` bytes; an answer
//! starting with `!` is sent with status 400, any other with status 200. Requests beyond the
//! answers get a transport error.
#![no_main]

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

use crosscode_core::did::TrustCache;
use crosscode_core::keys::{KeyAlgorithm, PublicKey, SecretKey};
use crosscode_wallet_core::keystore::{KeyHandle, Keystore, KeystoreError};
use crosscode_wallet_core::receive::receive;
use crosscode_wallet_core::transport::{
    HttpRequest, HttpResponse, Transport, TransportError, TransportFuture,
};
use libfuzzer_sys::fuzz_target;
use time::OffsetDateTime;

/// Answers the requests in order from the fuzz input.
struct Scripted(Mutex<Vec<Vec<u8>>>);

impl Transport for Scripted {
    fn send(&self, _: HttpRequest) -> TransportFuture<'_> {
        let next = self
            .0
            .lock()
            .ok()
            .and_then(|mut answers| (!answers.is_empty()).then(|| answers.remove(0)));
        Box::pin(async move {
            match next {
                Some(body) => match body.strip_prefix(b"!") {
                    Some(rest) => Ok(HttpResponse {
                        status: 400,
                        body: rest.to_vec(),
                    }),
                    None => Ok(HttpResponse { status: 200, body }),
                },
                None => Err(TransportError::Unreachable("no more answers".to_owned())),
            }
        })
    }
}

/// An in-memory Ed25519 keystore.
#[derive(Default)]
struct Memory(Mutex<HashMap<String, SecretKey>>);

impl Keystore for Memory {
    fn generate(&self, algorithm: KeyAlgorithm) -> Result<KeyHandle, KeystoreError> {
        let mut keys = self
            .0
            .lock()
            .map_err(|_| KeystoreError::Platform("poisoned".into()))?;
        let handle = format!("{:032x}", keys.len());
        keys.insert(handle.clone(), SecretKey::generate(algorithm));
        Ok(KeyHandle(handle))
    }
    fn public_key(&self, handle: &KeyHandle) -> Result<PublicKey, KeystoreError> {
        let keys = self
            .0
            .lock()
            .map_err(|_| KeystoreError::Platform("poisoned".into()))?;
        keys.get(handle.as_str())
            .map(SecretKey::public_key)
            .ok_or_else(|| KeystoreError::UnknownKey(handle.0.clone()))
    }
    fn sign(&self, handle: &KeyHandle, message: &[u8]) -> Result<Vec<u8>, KeystoreError> {
        let keys = self
            .0
            .lock()
            .map_err(|_| KeystoreError::Platform("poisoned".into()))?;
        let key = keys
            .get(handle.as_str())
            .ok_or_else(|| KeystoreError::UnknownKey(handle.0.clone()))?;
        key.sign(message)
            .map_err(|err| KeystoreError::Platform(err.to_string()))
    }
    fn delete(&self, handle: &KeyHandle) -> Result<(), KeystoreError> {
        let mut keys = self
            .0
            .lock()
            .map_err(|_| KeystoreError::Platform("poisoned".into()))?;
        keys.remove(handle.as_str());
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|byte| *byte == 0xff);
    let Some(Ok(offer)) = parts.next().map(std::str::from_utf8) else {
        return;
    };
    let transport = Scripted(Mutex::new(parts.map(<[u8]>::to_vec).collect()));
    let keystore = Memory::default();
    let trust = TrustCache::default();
    let future = receive(
        offer,
        Some("1234"),
        KeyAlgorithm::Ed25519,
        &keystore,
        &transport,
        &trust,
        OffsetDateTime::UNIX_EPOCH,
    );
    let mut future = std::pin::pin!(future);
    // The scripted transport answers at once, so one poll finishes the flow.
    let Poll::Ready(outcome) = future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    else {
        panic!("receive waited on a transport that answers at once");
    };
    if outcome.is_err() {
        assert!(
            keystore
                .0
                .lock()
                .map(|keys| keys.is_empty())
                .unwrap_or(false)
        );
    }
});
