//! JSON forms of the chain's files: `genesis.json`, `validators.json` (the trusted validator set
//! a checkpoint pins) and `bundle.json` (a proof bundle as fetched over HTTP).
