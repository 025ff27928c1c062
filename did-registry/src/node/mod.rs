//! The registry node: block production over RocksDB and the HTTP API (axum).
