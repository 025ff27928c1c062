//! BBS benchmarks (filled in later).

fn main() {}
