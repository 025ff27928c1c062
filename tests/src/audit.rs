//! The privacy audit's scanner: finds sentinel personal values ([`crate::sentinel`]) in
//! recorded bytes, raw, in every encoding Crosscode uses, and inside the containers those
//! encodings build.
//!
//! **Patterns** — each sentinel is searched (all at once, an Aho–Corasick automaton) as:
//!
//! | Encoding name          | Bytes searched                                                  |
//! |------------------------|-----------------------------------------------------------------|
//! | `raw`                  | the sentinel's UTF-8 bytes                                      |
//! | `utf-16le`, `utf-16be` | its UTF-16 code units                                           |
//! | `hex`, `hex(upper)`    | its hex digits, lower and upper case                            |
//! | `base64(a=N)`          | standard base64 of the sentinel preceded by N = 0, 1 or 2 bytes inside a longer blob: the characters that depend on the sentinel's bytes only (so padding and the blob around it do not matter) |
//! | `base64url(a=N)`       | the same in the URL-safe alphabet                               |
//! | `base58`               | base58btc (Bitcoin alphabet, [`encode_base58`]) of the sentinel alone |
//! | `base45(a=N)`          | base45 of the sentinel preceded by N = 0 or 1 bytes: its whole byte pairs |
//!
//! Identical patterns are searched once, named e.g. `base64(a=1) or base64url(a=1)`.
//!
//! **Containers** — the scanner decodes what looks like an encoded or compressed blob and
//! searches the result the same way, recursively (at most [`DEFAULT_MAX_DEPTH`] decodings
//! deep):
//!
//! | Step name        | What is decoded                                                      |
//! |------------------|----------------------------------------------------------------------|
//! | `base64(+K)`     | each run of at least [`MIN_BASE64_RUN`] base64 or base64url characters (one alphabet per run; padding ignored), from its start and from K = 1, 2, 3 characters in (a multibase or path prefix: containers are then found at their headers) |
//! | `hex(+K)`        | each run of at least [`MIN_HEX_RUN`] hex digits, from an even and (odd runs) an odd start |
//! | `base45(+K)`     | each run of at least [`MIN_BASE45_RUN`] base45 characters (`0-9A-Z $%*+-./:`), from its start, 1 and 2 characters in, and after each `:` in its first 16 characters (`CC1:`, `HC1:`) |
//! | `base58(+K)`     | each whole alphanumeric token of [`MIN_BASE58_RUN`] to [`MAX_BASE58_LEN`] base58 characters (not a piece of a longer token holding `0`, `O`, `I` or `l`), and without its first character when that is the multibase `z` |
//! | `percent`, `form`| each run of URL characters holding a `%XX` escape, percent-decoded; with `+` as a space too when it holds a `+` (form bodies) |
//! | `zlib`           | a zlib stream at each zlib header (`78 01`, `78 5e`, `78 9c`, `78 da`) |
//! | `gzip`           | a GZIP member at each `1f 8b`                                        |
//! | `deflate`        | the whole blob as raw DEFLATE                                        |
//! | `cbor`           | the whole blob as one CBOR item: its text strings are searched, its byte strings searched and decoded further |
//!
//! All inflating is core's one inflate ([`crosscode_core::envelope::inflate`]), bounded to
//! [`MAX_INFLATED_LEN`] bytes per stream; a stream followed by other bytes is cut at its end.
//! What a scan decodes in all is bounded by a budget ([`DEFAULT_DECODE_BUDGET`] per source).
//! Streams and blobs left undecoded because of a limit are listed in the report
//! ([`ScanReport::limits_reached`]) so that an audit can refuse to pass on a partial search.
//!
//! A [`Hit`] names the sentinel's label, the source and the chain of decodings then the
//! pattern, e.g. `raw`, `base64url(a=1)`, `gzip>raw`, `base45(+4)>zlib>cbor>raw`. Every source
//! is searched on its own: a sentinel split across two sources is not found.
//!
//! Not searched: text the project never writes across a border — SMART Health Card numeric
//! mode (`shc:/` digits), a value re-formatted (another date format, a year, an age) or
//! derived (a hash of it: that is what commitments are for).
//!
//! Cost: one automaton pass per decoded blob, run detection for all classes in one pass,
//! inflate tried only at stream headers and on whole decoded blobs (never at every offset),
//! CBOR walked without building the item, base58 (quadratic) only on whole tokens of at most
//! [`MAX_BASE58_LEN`] characters. About 2 s per 4 MB of mixed JSON, base64 and binary in an
//! unoptimised test build.

use std::collections::BTreeSet;
use std::fmt;
use std::ops::Range;

use aho_corasick::{AhoCorasick, MatchKind};
use base64::Engine as _;
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose};
use crosscode_core::envelope::inflate::{InflateError, inflate_gzip, inflate_raw, inflate_zlib};
pub use crosscode_core::multicodec::MAX_BASE58_LEN;
use crosscode_core::multicodec::{decode_base58, encode_base58};

use crate::recording::Recording;
use cbor_strings::{CborString, CborStrings};

mod cbor_strings;

/// How many decodings deep the scanner looks by default.
pub const DEFAULT_MAX_DEPTH: usize = 5;
/// The largest output of one inflated stream (64 MiB).
pub const MAX_INFLATED_LEN: usize = 64 * 1024 * 1024;
/// How many decoded bytes one source may produce in all, by default (1 GiB).
pub const DEFAULT_DECODE_BUDGET: usize = 1024 * 1024 * 1024;
/// The shortest sentinel accepted, in bytes (shorter values would be found by chance).
pub const MIN_SENTINEL_LEN: usize = 8;
/// The shortest run of base64 characters decoded.
pub const MIN_BASE64_RUN: usize = 16;
/// The shortest run of hex digits decoded.
pub const MIN_HEX_RUN: usize = 32;
/// The shortest run of base45 characters decoded.
pub const MIN_BASE45_RUN: usize = 16;
/// The shortest run of base58 characters decoded.
pub const MIN_BASE58_RUN: usize = 16;
/// The shortest run of URL characters percent-decoded (one `%XX` escape).
const MIN_PERCENT_RUN: usize = 3;
/// Decoded blobs shorter than this are not searched further (no sentinel fits).
const MIN_BLOB_LEN: usize = 8;
/// A `:` this far into a base45 run may end a context prefix (`CC1:`, `HC1:`).
const BASE45_PREFIX_SPAN: usize = 16;

/// The character classes of text runs (base64, hex, base45, base58, URL), in bit order: their
/// members and the shortest run searched.
const CLASS_MEMBERS: [(&[u8], usize); 5] = [
    (
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_",
        MIN_BASE64_RUN,
    ),
    (b"0123456789abcdefABCDEF", MIN_HEX_RUN),
    (
        b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:",
        MIN_BASE45_RUN,
    ),
    (
        b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz",
        MIN_BASE58_RUN,
    ),
    // The characters of a URL or form body (unreserved, reserved and `%`).
    (
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%",
        MIN_PERCENT_RUN,
    ),
];

/// The classes of each byte: bit `c` set when the byte is a member of class `c`.
const CLASSES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut class = 0;
    while class < CLASS_MEMBERS.len() {
        let members = CLASS_MEMBERS[class].0;
        let mut index = 0;
        while index < members.len() {
            table[members[index] as usize] |= 1 << class;
            index += 1;
        }
        class += 1;
    }
    table
};

/// Decoding that ignores padding and trailing bits (a run cut from a longer text).
const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);
/// Lenient base64, standard alphabet.
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
/// Lenient base64, URL-safe alphabet.
const LENIENT_BASE64URL: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// Why a scanner could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ScannerError {
    /// No sentinel was given.
    #[error("no sentinels to search for")]
    NoSentinels,
    /// A sentinel is shorter than [`MIN_SENTINEL_LEN`] bytes.
    #[error("sentinel `{label}` has {len} bytes (at least {MIN_SENTINEL_LEN})")]
    TooShort {
        /// The sentinel's label.
        label: String,
        /// Its length in bytes.
        len: usize,
    },
    /// The search automaton could not be built.
    #[error("building the search automaton: {0}")]
    Automaton(#[from] aho_corasick::BuildError),
}

/// A sentinel found in a source.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hit {
    /// The sentinel's label (e.g. `name`).
    pub sentinel: String,
    /// The source it was found in (a recording's name).
    pub source: String,
    /// The decodings, then the pattern, separated by `>` (e.g. `gzip>raw`).
    pub encoding: String,
}

impl fmt::Display for Hit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "sentinel `{}` found in `{}` as {}",
            self.sentinel, self.source, self.encoding
        )
    }
}

/// A blob the scanner did not search (or not fully) because of a limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitReached {
    /// The source the blob is in.
    pub source: String,
    /// The decodings that led to it, then the step refused, separated by `>`.
    pub encoding: String,
    /// Which limit.
    pub reason: String,
}

impl fmt::Display for LimitReached {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` not searched at {}: {}",
            self.source, self.encoding, self.reason
        )
    }
}

/// What a scan found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanReport {
    /// Every distinct (sentinel, source, encoding) found: by source in scan order, then by
    /// sentinel (in the scanner's order) and encoding.
    pub hits: Vec<Hit>,
    /// Blobs not searched because of a limit.
    pub limits_reached: Vec<LimitReached>,
}

impl ScanReport {
    /// No hit and no limit reached: the sources were searched fully and hold no sentinel.
    pub fn is_clean(&self) -> bool {
        self.hits.is_empty() && self.limits_reached.is_empty()
    }

    fn absorb(&mut self, other: ScanReport) {
        self.hits.extend(other.hits);
        self.limits_reached.extend(other.limits_reached);
    }
}

impl fmt::Display for ScanReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} hit(s), {} limit(s) reached",
            self.hits.len(),
            self.limits_reached.len()
        )?;
        for hit in &self.hits {
            writeln!(f, "  {hit}")?;
        }
        for limit in &self.limits_reached {
            writeln!(f, "  {limit}")?;
        }
        Ok(())
    }
}

/// One searched byte pattern: which sentinel, under which encoding name.
#[derive(Debug)]
struct Pattern {
    sentinel: usize,
    encoding: String,
}

/// Finds sentinels in recorded bytes (see the module documentation).
#[derive(Debug)]
pub struct Scanner {
    labels: Vec<String>,
    patterns: Vec<Pattern>,
    automaton: AhoCorasick,
    max_depth: usize,
    decode_budget: usize,
}

impl Scanner {
    /// A scanner for `(label, value)` sentinels, e.g. [`Sentinels::all`](crate::sentinel::Sentinels::all).
    pub fn new<L: AsRef<str>, V: AsRef<str>>(
        sentinels: &[(L, V)],
    ) -> Result<Scanner, ScannerError> {
        if sentinels.is_empty() {
            return Err(ScannerError::NoSentinels);
        }
        let mut labels = Vec::with_capacity(sentinels.len());
        let mut patterns: Vec<Pattern> = Vec::new();
        let mut bytes: Vec<Vec<u8>> = Vec::new();
        for (sentinel, (label, value)) in sentinels.iter().enumerate() {
            let (label, value) = (label.as_ref(), value.as_ref());
            if value.len() < MIN_SENTINEL_LEN {
                return Err(ScannerError::TooShort {
                    label: label.to_owned(),
                    len: value.len(),
                });
            }
            labels.push(label.to_owned());
            for (encoding, pattern) in encodings_of(value) {
                // One sentinel's identical encodings are searched once, under both names.
                match bytes
                    .iter()
                    .zip(&mut patterns)
                    .find(|(known, known_pattern)| {
                        **known == pattern && known_pattern.sentinel == sentinel
                    }) {
                    Some((_, known)) => {
                        known.encoding = format!("{} or {encoding}", known.encoding);
                    }
                    None => {
                        bytes.push(pattern);
                        patterns.push(Pattern { sentinel, encoding });
                    }
                }
            }
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&bytes)?;
        Ok(Scanner {
            labels,
            patterns,
            automaton,
            max_depth: DEFAULT_MAX_DEPTH,
            decode_budget: DEFAULT_DECODE_BUDGET,
        })
    }

    /// The same scanner looking at most `depth` decodings deep (0: patterns only).
    pub fn with_max_depth(mut self, depth: usize) -> Scanner {
        self.max_depth = depth;
        self
    }

    /// The same scanner decoding at most `bytes` bytes in all per source.
    pub fn with_decode_budget(mut self, bytes: usize) -> Scanner {
        self.decode_budget = bytes;
        self
    }

    /// The sentinels found in `bytes` (named `source` in the hits).
    pub fn scan(&self, source: &str, bytes: &[u8]) -> Vec<Hit> {
        self.scan_report(source, bytes).hits
    }

    /// The sentinels found in `bytes`, and the blobs a limit kept from being searched.
    pub fn scan_report(&self, source: &str, bytes: &[u8]) -> ScanReport {
        let mut search = Search {
            scanner: self,
            source,
            found: BTreeSet::new(),
            limits_reached: Vec::new(),
            budget_left: self.decode_budget,
            chain: Vec::new(),
        };
        search.visit(bytes, 0);
        ScanReport {
            hits: search
                .found
                .into_iter()
                .map(|(sentinel, encoding)| Hit {
                    sentinel: self.labels[sentinel].clone(),
                    source: source.to_owned(),
                    encoding,
                })
                .collect(),
            limits_reached: search.limits_reached,
        }
    }

    /// Scans each `(source, bytes)` on its own and reports everything found.
    pub fn scan_all<S: AsRef<str>, B: AsRef<[u8]>>(
        &self,
        sources: impl IntoIterator<Item = (S, B)>,
    ) -> ScanReport {
        let mut report = ScanReport::default();
        for (source, bytes) in sources {
            report.absorb(self.scan_report(source.as_ref(), bytes.as_ref()));
        }
        report
    }

    /// Scans every source of a [`Recording`] ([`Recording::sources`]).
    pub fn scan_recording(&self, recording: &Recording) -> ScanReport {
        self.scan_all(recording.sources())
    }
}

/// The encodings of a sentinel the automaton searches (the module's pattern table).
fn encodings_of(value: &str) -> Vec<(String, Vec<u8>)> {
    let raw = value.as_bytes();
    let mut out = vec![
        ("raw".to_owned(), raw.to_vec()),
        (
            "utf-16le".to_owned(),
            value.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        ),
        (
            "utf-16be".to_owned(),
            value.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        ),
        ("hex".to_owned(), hex::encode(raw).into_bytes()),
        ("hex(upper)".to_owned(), hex::encode_upper(raw).into_bytes()),
    ];
    for alignment in 0..3 {
        let mut shifted = vec![0u8; alignment];
        shifted.extend_from_slice(raw);
        // Character i covers bits [6i, 6i + 6); the sentinel's bits are [8a, 8a + 8 len).
        let start = (8 * alignment).div_ceil(6);
        let end = 8 * (alignment + raw.len()) / 6;
        for (name, engine) in [
            ("base64", &general_purpose::STANDARD_NO_PAD),
            ("base64url", &general_purpose::URL_SAFE_NO_PAD),
        ] {
            let text = engine.encode(&shifted);
            out.push((
                format!("{name}(a={alignment})"),
                text.as_bytes()[start..end].to_vec(),
            ));
        }
    }
    out.push(("base58".to_owned(), encode_base58(raw).into_bytes()));
    for alignment in 0..2 {
        let pairs = &raw[alignment..];
        let whole = pairs.len() - pairs.len() % 2;
        out.push((
            format!("base45(a={alignment})"),
            base45::encode(&pairs[..whole]).into_bytes(),
        ));
    }
    out
}

/// The state of one source's scan.
struct Search<'a> {
    scanner: &'a Scanner,
    source: &'a str,
    /// (sentinel index, encoding) found.
    found: BTreeSet<(usize, String)>,
    limits_reached: Vec<LimitReached>,
    budget_left: usize,
    /// The decodings that led to the blob being searched.
    chain: Vec<String>,
}

impl Search<'_> {
    fn encoding(&self, last: &str) -> String {
        let mut name = self.chain.join(">");
        if !name.is_empty() {
            name.push('>');
        }
        name.push_str(last);
        name
    }

    fn limit(&mut self, step: &str, reason: String) {
        let encoding = self.encoding(step);
        self.limits_reached.push(LimitReached {
            source: self.source.to_owned(),
            encoding,
            reason,
        });
    }

    /// Searches the patterns in `bytes`.
    fn match_patterns(&mut self, bytes: &[u8]) {
        let mut matched = BTreeSet::new();
        for found in self.scanner.automaton.find_overlapping_iter(bytes) {
            matched.insert(found.pattern().as_usize());
        }
        for index in matched {
            let pattern = &self.scanner.patterns[index];
            let encoding = self.encoding(&pattern.encoding);
            self.found.insert((pattern.sentinel, encoding));
        }
    }

    /// Searches `bytes`, then decodes what it holds and searches that.
    fn visit(&mut self, bytes: &[u8], depth: usize) {
        self.match_patterns(bytes);
        if depth >= self.scanner.max_depth {
            return;
        }
        self.whole_blob(bytes, depth);
        self.text_runs(bytes, depth);
        self.streams_at_headers(bytes, depth);
    }

    /// Searches a decoded blob one level deeper, within the budget.
    fn descend(&mut self, step: &str, bytes: &[u8], depth: usize) {
        if bytes.len() < MIN_BLOB_LEN {
            return;
        }
        if bytes.len() > self.budget_left {
            let reason = format!(
                "decode budget spent ({} bytes left, blob of {})",
                self.budget_left,
                bytes.len()
            );
            self.limit(step, reason);
            return;
        }
        self.budget_left -= bytes.len();
        self.chain.push(step.to_owned());
        self.visit(bytes, depth + 1);
        self.chain.pop();
    }

    /// The whole blob as raw DEFLATE and as one CBOR item.
    fn whole_blob(&mut self, bytes: &[u8], depth: usize) {
        let Some(&first) = bytes.first() else {
            return;
        };
        // A DEFLATE stream opens with a block header; block type 3 is reserved (RFC 1951
        // §3.2.3): such a blob is not tried.
        if (first >> 1) & 3 != 3
            && let Some((inflated, _)) = self.inflate("deflate", bytes, inflate_raw)
        {
            self.descend("deflate", &inflated, depth);
        }
        // Only an item that can hold strings (major types 2 to 6: byte and text strings,
        // arrays, maps, tags) spanning the whole blob (a JSON text would read as a short CBOR
        // string).
        let mut rest = bytes;
        if (2..=6).contains(&(first >> 5))
            && let Ok(CborStrings(strings)) = ciborium::from_reader(&mut rest)
            && rest.is_empty()
        {
            for string in strings {
                match string {
                    CborString::Text(text) => {
                        self.chain.push("cbor".to_owned());
                        self.match_patterns(text.as_bytes());
                        self.chain.pop();
                    }
                    CborString::Bytes(bytes) => self.descend("cbor", &bytes, depth),
                }
            }
        }
    }

    /// Inflates `bytes` with `inflate`; a stream followed by other bytes is cut at its end.
    /// Answers the output and how many input bytes the stream took; records a stream over
    /// [`MAX_INFLATED_LEN`].
    fn inflate(
        &mut self,
        step: &str,
        bytes: &[u8],
        inflate: fn(&[u8], usize) -> Result<Vec<u8>, InflateError>,
    ) -> Option<(Vec<u8>, usize)> {
        let result = match inflate(bytes, MAX_INFLATED_LEN) {
            Err(InflateError::TrailingData { count, .. }) if count < bytes.len() => {
                let end = bytes.len() - count;
                inflate(&bytes[..end], MAX_INFLATED_LEN).map(|out| (out, end))
            }
            other => other.map(|out| (out, bytes.len())),
        };
        match result {
            Ok(found) => Some(found),
            Err(InflateError::TooLarge { limit }) => {
                self.limit(step, format!("inflates to over {limit} bytes"));
                None
            }
            Err(_) => None,
        }
    }

    /// zlib streams at their headers and GZIP members at their magic bytes.
    fn streams_at_headers(&mut self, bytes: &[u8], depth: usize) {
        // An index loop: this sees every byte of every blob (see `runs`).
        let mut at = 0;
        while at + 1 < bytes.len() {
            let step = match (bytes[at], bytes[at + 1]) {
                (0x78, 0x01 | 0x5e | 0x9c | 0xda) => "zlib",
                (0x1f, 0x8b) => "gzip",
                _ => {
                    at += 1;
                    continue;
                }
            };
            let tail = &bytes[at..];
            let inflate = if step == "zlib" {
                inflate_zlib
            } else {
                inflate_gzip
            };
            match self.inflate(step, tail, inflate) {
                Some((inflated, taken)) => {
                    self.descend(step, &inflated, depth);
                    at += taken.max(1);
                }
                None => at += 1,
            }
        }
    }

    /// Runs of base64, hex, base45, base58 and URL characters, decoded.
    fn text_runs(&mut self, bytes: &[u8], depth: usize) {
        let [base64_runs, hex_runs, base45_runs, base58_runs, url_runs] = runs(bytes);
        for run in base64_runs {
            let text = &bytes[run];
            // One alphabet per run: characters of both make it no base64 text.
            let standard = text.contains(&b'+') || text.contains(&b'/');
            let url_safe = text.contains(&b'-') || text.contains(&b'_');
            let engine = match (standard, url_safe) {
                (true, true) => continue,
                (false, true) => &LENIENT_BASE64URL,
                _ => &LENIENT_BASE64,
            };
            for skip in 0..4 {
                let chars = &text[skip..];
                let usable = chars.len() - usize::from(chars.len() % 4 == 1);
                if usable < MIN_BASE64_RUN {
                    continue;
                }
                if let Ok(decoded) = engine.decode(&chars[..usable]) {
                    self.descend(&step_name("base64", skip), &decoded, depth);
                }
            }
        }
        for run in hex_runs {
            let text = &bytes[run];
            for skip in 0..=(text.len() % 2) {
                let digits = &text[skip..];
                if let Ok(decoded) = hex::decode(&digits[..digits.len() - digits.len() % 2]) {
                    self.descend(&step_name("hex", skip), &decoded, depth);
                }
            }
        }
        for run in base45_runs {
            let text = &bytes[run];
            let after_colons = text
                .iter()
                .take(BASE45_PREFIX_SPAN)
                .enumerate()
                .filter(|&(_, &byte)| byte == b':')
                .map(|(position, _)| position + 1);
            let starts: BTreeSet<usize> = (0..3).chain(after_colons).collect();
            for skip in starts {
                let Some(chars) = text.get(skip..) else {
                    continue;
                };
                let usable = chars.len() - usize::from(chars.len() % 3 == 1);
                if let Ok(decoded) = base45::decode(&chars[..usable]) {
                    self.descend(&step_name("base45", skip), &decoded, depth);
                }
            }
        }
        for run in base58_runs {
            // A whole token only: a run cut short by `0`, `O`, `I` or `l` is a piece of some
            // other alphanumeric text (base64 above all), not base58.
            let alphanumeric = |at: Option<usize>| {
                at.and_then(|at| bytes.get(at))
                    .is_some_and(u8::is_ascii_alphanumeric)
            };
            if alphanumeric(run.start.checked_sub(1)) || alphanumeric(Some(run.end)) {
                continue;
            }
            let text = &bytes[run];
            let skips = if text.first() == Some(&b'z') {
                0..2
            } else {
                0..1
            };
            for skip in skips {
                let Ok(chars) = std::str::from_utf8(&text[skip..]) else {
                    continue;
                };
                if let Ok(decoded) = decode_base58(chars) {
                    self.descend(&step_name("base58", skip), &decoded, depth);
                }
            }
        }
        for run in url_runs {
            let text = &bytes[run];
            let escaped = text
                .windows(3)
                .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit());
            if !escaped {
                continue;
            }
            let decoded: Vec<u8> = percent_encoding::percent_decode(text).collect();
            self.descend("percent", &decoded, depth);
            if text.contains(&b'+') {
                let spaced: Vec<u8> = text
                    .iter()
                    .map(|&byte| if byte == b'+' { b' ' } else { byte })
                    .collect();
                let decoded: Vec<u8> = percent_encoding::percent_decode(&spaced).collect();
                self.descend("form", &decoded, depth);
            }
        }
    }
}

/// `name` for a decoding from a run's start, `name(+K)` from K characters in.
fn step_name(name: &str, skip: usize) -> String {
    if skip == 0 {
        name.to_owned()
    } else {
        format!("{name}(+{skip})")
    }
}

/// The maximal runs of each class of [`CLASS_MEMBERS`] in `bytes`, at least as long as its
/// shortest searched run, indexed by class; one pass over the bytes.
fn runs(bytes: &[u8]) -> [Vec<Range<usize>>; 5] {
    // Index loops without closures or iterator adapters: this loop sees every byte of every
    // blob, and the crate's tests build without optimisation.
    let mut found: [Vec<Range<usize>>; 5] = Default::default();
    let mut starts = [0usize; 5];
    let mut previous = 0u8;
    let mut at = 0;
    while at <= bytes.len() {
        // Past the end every run closes.
        let classes = if at < bytes.len() {
            CLASSES[usize::from(bytes[at])]
        } else {
            0
        };
        let changed = classes ^ previous;
        if changed != 0 {
            let mut class = 0;
            while class < 5 {
                if (changed >> class) & 1 == 1 {
                    if (classes >> class) & 1 == 1 {
                        starts[class] = at;
                    } else if at - starts[class] >= CLASS_MEMBERS[class].1 {
                        found[class].push(starts[class]..at);
                    }
                }
                class += 1;
            }
            previous = classes;
        }
        at += 1;
    }
    found
}

#[cfg(test)]
mod tests;
