//! The typed HTTP client of a registry node.
