//! The stable codes of the API: [`ApiErrorCode`] (the `error` of an error body),
//! [`RejectionCode`] (why the state machine refused a transaction, one per `Rejection`
//! variant) and [`ResolutionErrorCode`] (W3C DID Resolution errors). Each has a wire name
//! (`as_str`), and a name a client does not know reads as `Unknown`.

use serde::{Deserialize, Serialize};

use crate::state::Rejection;

/// Implements `ALL`, `as_str` (the wire name) and serde through the wire name for a code enum
/// with an `Unknown` variant (what a client reads for a name it does not know).
macro_rules! wire_names {
    ($ty:ident { $($variant:ident => $name:literal),* $(,)? }) => {
        impl $ty {
            /// Every code but `Unknown`.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),*];

            /// The wire name (`unknown` for `Unknown`).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name,)*
                    $ty::Unknown => "unknown",
                }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                Ok($ty::ALL
                    .iter()
                    .copied()
                    .find(|code| code.as_str() == text)
                    .unwrap_or($ty::Unknown))
            }
        }
    };
}

/// The error codes of the API (the `error` field of an error body).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiErrorCode {
    /// The body is not the JSON expected (syntax, types, missing or unknown fields).
    InvalidJson,
    /// A field is not base64url without padding.
    InvalidBase64,
    /// A hash or key is not hex of the right length.
    InvalidHex,
    /// The transaction bytes do not decode strictly.
    InvalidTransaction,
    /// The transaction is for another chain.
    WrongChainId,
    /// No state namespace with this name.
    UnknownNamespace,
    /// The DID is not a valid registry DID.
    InvalidDid,
    /// A query parameter is missing, unknown or malformed.
    InvalidQuery,
    /// A path parameter is malformed (e.g. a height that is not a number).
    InvalidPath,
    /// The body is larger than the node accepts.
    BodyTooLarge,
    /// The body is not `application/json`.
    UnsupportedMediaType,
    /// The mempool is full: retry later.
    MempoolFull,
    /// A batch is empty or holds more items than the node accepts at once (the transactions of
    /// `POST /v1/txs`, the keys of `POST /v1/proofs`).
    InvalidBatch,
    /// No such transaction, block or entry.
    NotFound,
    /// No such route.
    UnknownRoute,
    /// The height is not committed yet.
    UnknownHeight,
    /// The route exists but not for this method.
    MethodNotAllowed,
    /// A DID of a method this registry does not resolve (HTTP 501, as the W3C DID Resolution
    /// HTTP binding asks for `methodNotSupported`).
    MethodNotSupported,
    /// The node failed (storage).
    Internal,
    /// The node is stopping or stopped producing blocks, or too many block streams are open.
    Unavailable,
    /// A code this client does not know (a newer node).
    Unknown,
}

wire_names!(ApiErrorCode {
    InvalidJson => "invalid-json",
    InvalidBase64 => "invalid-base64",
    InvalidHex => "invalid-hex",
    InvalidTransaction => "invalid-transaction",
    WrongChainId => "wrong-chain-id",
    UnknownNamespace => "unknown-namespace",
    InvalidDid => "invalid-did",
    InvalidQuery => "invalid-query",
    InvalidPath => "invalid-path",
    BodyTooLarge => "body-too-large",
    UnsupportedMediaType => "unsupported-media-type",
    MempoolFull => "mempool-full",
    InvalidBatch => "invalid-batch",
    NotFound => "not-found",
    UnknownRoute => "unknown-route",
    UnknownHeight => "unknown-height",
    MethodNotAllowed => "method-not-allowed",
    MethodNotSupported => "method-not-supported",
    Internal => "internal",
    Unavailable => "unavailable",
});

impl ApiErrorCode {
    /// The HTTP status of this code.
    pub fn status(self) -> u16 {
        match self {
            ApiErrorCode::InvalidJson
            | ApiErrorCode::InvalidBase64
            | ApiErrorCode::InvalidHex
            | ApiErrorCode::UnknownNamespace
            | ApiErrorCode::InvalidDid
            | ApiErrorCode::InvalidQuery
            | ApiErrorCode::InvalidPath
            | ApiErrorCode::InvalidBatch => 400,
            ApiErrorCode::NotFound | ApiErrorCode::UnknownRoute | ApiErrorCode::UnknownHeight => {
                404
            }
            ApiErrorCode::MethodNotAllowed => 405,
            // Well-formed as the OpenAPI document describes it, but not a signed transaction
            // of this chain (no schema can say that much).
            ApiErrorCode::InvalidTransaction | ApiErrorCode::WrongChainId => 422,
            ApiErrorCode::BodyTooLarge => 413,
            ApiErrorCode::UnsupportedMediaType => 415,
            ApiErrorCode::Internal | ApiErrorCode::Unknown => 500,
            ApiErrorCode::MethodNotSupported => 501,
            ApiErrorCode::MempoolFull | ApiErrorCode::Unavailable => 503,
        }
    }
}

/// An error body: `{"error": "<code>", "message": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// The code.
    pub error: ApiErrorCode,
    /// A human-readable explanation (never personal data).
    pub message: String,
}

impl ApiError {
    /// An error with `code` and `message`.
    pub fn new(code: ApiErrorCode, message: impl Into<String>) -> Self {
        Self {
            error: code,
            message: message.into(),
        }
    }
}

/// Why the state machine refused a transaction, as a stable code (one per [`Rejection`]
/// variant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectionCode {
    /// [`Rejection::Decode`].
    MalformedTransaction,
    /// [`Rejection::WrongChainId`].
    WrongChainId,
    /// [`Rejection::WrongNetwork`].
    WrongNetwork,
    /// [`Rejection::UnknownSender`].
    UnknownSender,
    /// [`Rejection::DidDeactivated`].
    DidDeactivated,
    /// [`Rejection::UnknownKey`].
    UnknownKey,
    /// [`Rejection::KeyNotAllowed`].
    KeyNotAllowed,
    /// [`Rejection::BadSignature`].
    BadSignature,
    /// [`Rejection::ReplayedSequence`].
    ReplayedSequence,
    /// [`Rejection::SkippedSequence`].
    SkippedSequence,
    /// [`Rejection::MalformedPayload`].
    MalformedPayload,
    /// [`Rejection::DidExists`].
    DidExists,
    /// [`Rejection::DidDoesNotMatchKey`].
    DidDoesNotMatchKey,
    /// [`Rejection::UnknownDid`].
    UnknownDid,
    /// [`Rejection::WouldLoseControl`].
    WouldLoseControl,
    /// [`Rejection::NotFound`].
    NotFound,
    /// [`Rejection::NotAuthorised`].
    NotAuthorised,
    /// [`Rejection::UnknownProposal`].
    UnknownProposal,
    /// [`Rejection::ProposalClosed`].
    ProposalClosed,
    /// [`Rejection::AlreadyVoted`].
    AlreadyVoted,
    /// [`Rejection::IssuerNotAdmitted`].
    IssuerNotAdmitted,
    /// [`Rejection::IssuerAlreadyAdmitted`].
    IssuerAlreadyAdmitted,
    /// [`Rejection::IssuerSuspension`].
    IssuerSuspension,
    /// [`Rejection::InvalidValidatorSet`].
    InvalidValidatorSet,
    /// [`Rejection::SchemaExists`].
    SchemaExists,
    /// [`Rejection::EvidenceExists`].
    EvidenceExists,
    /// [`Rejection::BadEvidenceSignature`].
    BadEvidenceSignature,
    /// [`Rejection::StatusTransition`].
    StatusTransition,
    /// [`Rejection::CorruptState`].
    CorruptState,
    /// A code this client does not know (a newer node).
    Unknown,
}

wire_names!(RejectionCode {
    MalformedTransaction => "malformed-transaction",
    WrongChainId => "wrong-chain-id",
    WrongNetwork => "wrong-network",
    UnknownSender => "unknown-sender",
    DidDeactivated => "did-deactivated",
    UnknownKey => "unknown-key",
    KeyNotAllowed => "key-not-allowed",
    BadSignature => "bad-signature",
    ReplayedSequence => "replayed-sequence",
    SkippedSequence => "skipped-sequence",
    MalformedPayload => "malformed-payload",
    DidExists => "did-exists",
    DidDoesNotMatchKey => "did-does-not-match-key",
    UnknownDid => "unknown-did",
    WouldLoseControl => "would-lose-control",
    NotFound => "not-found",
    NotAuthorised => "not-authorised",
    UnknownProposal => "unknown-proposal",
    ProposalClosed => "proposal-closed",
    AlreadyVoted => "already-voted",
    IssuerNotAdmitted => "issuer-not-admitted",
    IssuerAlreadyAdmitted => "issuer-already-admitted",
    IssuerSuspension => "issuer-suspension",
    InvalidValidatorSet => "invalid-validator-set",
    SchemaExists => "schema-exists",
    EvidenceExists => "evidence-exists",
    BadEvidenceSignature => "bad-evidence-signature",
    StatusTransition => "status-transition",
    CorruptState => "corrupt-state",
});

impl RejectionCode {
    /// The code of a rejection.
    pub fn of(rejection: &Rejection) -> RejectionCode {
        match rejection {
            Rejection::Decode(_) => RejectionCode::MalformedTransaction,
            Rejection::WrongChainId { .. } => RejectionCode::WrongChainId,
            Rejection::WrongNetwork { .. } => RejectionCode::WrongNetwork,
            Rejection::UnknownSender => RejectionCode::UnknownSender,
            Rejection::DidDeactivated => RejectionCode::DidDeactivated,
            Rejection::UnknownKey { .. } => RejectionCode::UnknownKey,
            Rejection::KeyNotAllowed { .. } => RejectionCode::KeyNotAllowed,
            Rejection::BadSignature => RejectionCode::BadSignature,
            Rejection::ReplayedSequence { .. } => RejectionCode::ReplayedSequence,
            Rejection::SkippedSequence { .. } => RejectionCode::SkippedSequence,
            Rejection::MalformedPayload { .. } => RejectionCode::MalformedPayload,
            Rejection::DidExists => RejectionCode::DidExists,
            Rejection::DidDoesNotMatchKey => RejectionCode::DidDoesNotMatchKey,
            Rejection::UnknownDid => RejectionCode::UnknownDid,
            Rejection::WouldLoseControl => RejectionCode::WouldLoseControl,
            Rejection::NotFound { .. } => RejectionCode::NotFound,
            Rejection::NotAuthorised { .. } => RejectionCode::NotAuthorised,
            Rejection::UnknownProposal { .. } => RejectionCode::UnknownProposal,
            Rejection::ProposalClosed { .. } => RejectionCode::ProposalClosed,
            Rejection::AlreadyVoted { .. } => RejectionCode::AlreadyVoted,
            Rejection::IssuerNotAdmitted => RejectionCode::IssuerNotAdmitted,
            Rejection::IssuerAlreadyAdmitted => RejectionCode::IssuerAlreadyAdmitted,
            Rejection::IssuerSuspension => RejectionCode::IssuerSuspension,
            Rejection::InvalidValidatorSet(_) => RejectionCode::InvalidValidatorSet,
            Rejection::SchemaExists => RejectionCode::SchemaExists,
            Rejection::EvidenceExists => RejectionCode::EvidenceExists,
            Rejection::BadEvidenceSignature => RejectionCode::BadEvidenceSignature,
            Rejection::StatusTransition { .. } => RejectionCode::StatusTransition,
            Rejection::CorruptState => RejectionCode::CorruptState,
        }
    }
}

/// The W3C DID Resolution error codes the node answers with (`didResolutionMetadata.error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResolutionErrorCode {
    /// Not a valid `did:crosscode` DID.
    InvalidDid,
    /// A DID of another method.
    MethodNotSupported,
    /// A bad `height` or `versionTime`.
    InvalidOptions,
    /// No such DID (at the height or time asked).
    NotFound,
    /// The node could not read its state.
    InternalError,
    /// A code this client does not know.
    Unknown,
}

wire_names!(ResolutionErrorCode {
    InvalidDid => "invalidDid",
    MethodNotSupported => "methodNotSupported",
    InvalidOptions => "invalidOptions",
    NotFound => "notFound",
    InternalError => "internalError",
});
