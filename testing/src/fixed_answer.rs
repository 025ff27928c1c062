//! A loopback HTTP server with a fixed answer, for the client's failure paths (the answers a
//! real node never gives). Shared by the client's and the node's tests.

use std::time::Duration;

/// A loopback HTTP server answering every request with `status` and `body` (after `delay`):
/// the answers a real node never gives, for the client's failure paths. Its base URL.
pub fn fixed_answer_server(status: u16, body: String, delay: Option<Duration>) -> String {
    fixed_answer_server_with(status, body.len(), body, delay)
}

/// As [`fixed_answer_server`], announcing `content_length` bytes.
pub fn fixed_answer_server_with(
    status: u16,
    content_length: usize,
    body: String,
    delay: Option<Duration>,
) -> String {
    use std::io::{Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for socket in listener.incoming() {
            let Ok(mut socket) = socket else { return };
            let body = body.clone();
            std::thread::spawn(move || {
                let mut request = Vec::new();
                let mut buffer = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buffer) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                if let Some(delay) = delay {
                    std::thread::sleep(delay);
                }
                let head = format!(
                    "HTTP/1.1 {status} Answer\r\ncontent-type: application/json\r\n\
                     content-length: {content_length}\r\nconnection: close\r\n\r\n"
                );
                let _ = socket.write_all(head.as_bytes());
                let _ = socket.write_all(body.as_bytes());
            });
        }
    });
    format!("http://{addr}")
}

/// A loopback HTTP server answering each request with the `(status, body)` of the first route
/// whose `"METHOD /path-prefix"` starts its request line (404 `{}` when none does): a scripted
/// node, for whole writes whose answers a real node never gives. Its base URL.
pub fn routed_server(routes: Vec<(&'static str, u16, String)>) -> String {
    use std::io::{Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let routes = std::sync::Arc::new(routes);
    std::thread::spawn(move || {
        for socket in listener.incoming() {
            let Ok(mut socket) = socket else { return };
            let routes = std::sync::Arc::clone(&routes);
            std::thread::spawn(move || {
                let mut request = Vec::new();
                let mut buffer = [0u8; 4096];
                let head_end = loop {
                    if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                        break end + 4;
                    }
                    match socket.read(&mut buffer) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                };
                let head = String::from_utf8_lossy(&request[..head_end]).to_ascii_lowercase();
                let body_length = head
                    .lines()
                    .find_map(|line| line.strip_prefix("content-length:"))
                    .and_then(|value| value.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                // Read the whole body, so that closing the socket does not reset the answer.
                while request.len() < head_end + body_length {
                    match socket.read(&mut buffer) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let line = String::from_utf8_lossy(&request[..head_end])
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                let (status, body) = routes
                    .iter()
                    .find(|(prefix, _, _)| line.starts_with(prefix))
                    .map_or((404, "{}".to_owned()), |(_, status, body)| {
                        (*status, body.clone())
                    });
                let head = format!(
                    "HTTP/1.1 {status} Answer\r\ncontent-type: application/json\r\n\
                     content-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = socket.write_all(head.as_bytes());
                let _ = socket.write_all(body.as_bytes());
            });
        }
    });
    format!("http://{addr}")
}
