//! The embedded dev chain: a generated consortium of dev jurisdictions, its genesis and keys.
