//! Reading the node's block stream: an incremental parser of server-sent events
//! ([`SseParser`]) and the reader of its `block` events ([`SseReader`]).

use std::collections::VecDeque;

use futures_util::{Stream, StreamExt as _};

use crate::{ClientError, transport, unexpected};
use crosscode_did_registry::api::BlockEvent;
use crosscode_did_registry::block::{CommitCertificate, Header};

/// One server-sent event: its type (`message` when not named) and its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SseEvent {
    name: String,
    data: String,
}

/// An incremental parser of a server-sent event stream (the WHATWG `text/event-stream` rules
/// the node's stream needs): lines end with LF, CRLF or CR (also across chunk boundaries);
/// `event:` names the event, `data:` lines are joined with LF, lines starting with `:` are
/// comments, other fields are ignored; a blank line ends the event. Each byte is looked at
/// once, and an event (its lines, including the one being read) larger than `max_event_bytes`
/// is an error.
#[derive(Debug)]
pub(crate) struct SseParser {
    line: Vec<u8>,
    /// The previous chunk ended with CR: a LF opening the next one ends nothing.
    after_cr: bool,
    name: Option<String>,
    data: Option<String>,
    /// Bytes of the current event's lines so far.
    event_bytes: usize,
    max_event_bytes: usize,
}

impl SseParser {
    pub(crate) fn new(max_event_bytes: usize) -> Self {
        Self {
            line: Vec::new(),
            after_cr: false,
            name: None,
            data: None,
            event_bytes: 0,
            max_event_bytes,
        }
    }

    /// Parses `chunk`, appending the events it completes to `events`.
    pub(crate) fn push(
        &mut self,
        chunk: &[u8],
        events: &mut VecDeque<SseEvent>,
    ) -> Result<(), ClientError> {
        for &byte in chunk {
            let after_cr = std::mem::replace(&mut self.after_cr, false);
            match byte {
                b'\n' if after_cr => {}
                b'\n' => self.end_line(events)?,
                b'\r' => {
                    self.after_cr = true;
                    self.end_line(events)?;
                }
                _ => {
                    self.event_bytes += 1;
                    if self.event_bytes > self.max_event_bytes {
                        return Err(ClientError::TooLarge {
                            what: "block event",
                            limit: self.max_event_bytes,
                        });
                    }
                    self.line.push(byte);
                }
            }
        }
        Ok(())
    }

    fn end_line(&mut self, events: &mut VecDeque<SseEvent>) -> Result<(), ClientError> {
        let line = std::mem::take(&mut self.line);
        if line.is_empty() {
            let data = self.data.take();
            let name = self.name.take();
            self.event_bytes = 0;
            if let Some(data) = data {
                events.push_back(SseEvent {
                    name: name.unwrap_or_else(|| "message".to_owned()),
                    data,
                });
            }
            return Ok(());
        }
        let line = String::from_utf8(line).map_err(|_| unexpected(200, "event is not UTF-8"))?;
        if line.starts_with(':') {
            return Ok(());
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_str(), ""),
        };
        match field {
            "event" => self.name = Some(value.to_owned()),
            "data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            },
            _ => {}
        }
        Ok(())
    }
}

/// Reads the `block` events of a server-sent event stream.
pub(crate) struct SseReader<S> {
    pub(crate) bytes: std::pin::Pin<Box<S>>,
    pub(crate) parser: SseParser,
    /// Events parsed and not read yet.
    pub(crate) ready: VecDeque<SseEvent>,
}

impl<S, B> SseReader<S>
where
    S: Stream<Item = Result<B, reqwest::Error>>,
    B: AsRef<[u8]>,
{
    /// The next `block` event, `None` at the end of the stream.
    pub(crate) async fn next_block(
        &mut self,
    ) -> Option<Result<(Header, CommitCertificate), ClientError>> {
        loop {
            while let Some(event) = self.ready.pop_front() {
                if event.name == "block" {
                    return Some(
                        serde_json::from_str::<BlockEvent>(&event.data)
                            .map(|event| (event.header, event.certificate))
                            .map_err(|err| unexpected(200, format!("block event: {err}"))),
                    );
                }
            }
            match self.bytes.next().await {
                Some(Ok(chunk)) => {
                    if let Err(err) = self.parser.push(chunk.as_ref(), &mut self.ready) {
                        return Some(Err(err));
                    }
                }
                Some(Err(err)) => return Some(Err(transport(err))),
                None => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MAX_EVENT_BYTES;

    /// The events of `chunks` fed one after the other.
    fn parse(chunks: &[&[u8]], max: usize) -> Result<Vec<SseEvent>, ClientError> {
        let mut parser = SseParser::new(max);
        let mut events = VecDeque::new();
        for chunk in chunks {
            parser.push(chunk, &mut events)?;
        }
        Ok(events.into())
    }

    fn event(name: &str, data: &str) -> SseEvent {
        SseEvent {
            name: name.to_owned(),
            data: data.to_owned(),
        }
    }

    const STREAM: &str = ": keep-alive comment\nevent: block\nid: 7\ndata: {\"a\":1}\n\n\
                          data: first line\ndata:second line\ndata\n\n\
                          event:block\nretry: 10\ndata: {}\n\n";

    fn expected() -> Vec<SseEvent> {
        vec![
            event("block", "{\"a\":1}"),
            event("message", "first line\nsecond line\n"),
            event("block", "{}"),
        ]
    }

    #[test]
    fn lf_crlf_and_cr_line_endings_give_the_same_events() {
        for ending in ["\n", "\r\n", "\r"] {
            let text = STREAM.replace('\n', ending);
            assert_eq!(
                parse(&[text.as_bytes()], MAX_EVENT_BYTES).unwrap(),
                expected(),
                "{ending:?}"
            );
        }
    }

    #[test]
    fn events_split_at_any_byte_parse_the_same() {
        for ending in ["\n", "\r\n", "\r"] {
            let text = STREAM.replace('\n', ending);
            let bytes = text.as_bytes();
            for cut in 0..=bytes.len() {
                let (a, b) = bytes.split_at(cut);
                assert_eq!(
                    parse(&[a, b], MAX_EVENT_BYTES).unwrap(),
                    expected(),
                    "{ending:?} cut at {cut}"
                );
            }
            let one_by_one: Vec<&[u8]> = bytes.chunks(1).collect();
            assert_eq!(parse(&one_by_one, MAX_EVENT_BYTES).unwrap(), expected());
        }
    }

    #[test]
    fn comments_and_events_without_data_dispatch_nothing() {
        let events = parse(&[b": only a comment\n\nevent: block\n\n:another\n\n"], 100).unwrap();
        assert!(events.is_empty());
    }

    #[test]
    fn an_event_over_the_limit_is_too_large() {
        let mut long = b"data: ".to_vec();
        long.extend(std::iter::repeat_n(b'x', 100));
        // Within the limit (106 bytes of lines): fine; one byte less allowed: too large, even
        // before the event's blank line arrives.
        assert_eq!(parse(&[&long, b"\n\n"], 106).unwrap().len(), 1);
        assert!(matches!(
            parse(&[&long], 105),
            Err(ClientError::TooLarge {
                what: "block event",
                limit: 105
            })
        ));
        // The limit is per event: many small events are fine.
        let many = "data: 0123456789\n\n".repeat(100);
        assert_eq!(parse(&[many.as_bytes()], 20).unwrap().len(), 100);
    }

    #[test]
    fn an_event_that_is_not_utf8_is_unexpected() {
        assert!(matches!(
            parse(&[b"data: \xff\n\n"], 100),
            Err(ClientError::UnexpectedResponse { status: 200, .. })
        ));
    }
}
