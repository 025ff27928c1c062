use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tokio::sync::mpsc;

use super::*;

/// How many requests reached the upstream.
type Calls = Arc<AtomicUsize>;

async fn echo(State(calls): State<Calls>, headers: HeaderMap, body: Bytes) -> impl IntoResponse {
    calls.fetch_add(1, Ordering::SeqCst);
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .cloned()
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    (
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, content_type)],
        body,
    )
}

async fn item(
    State(calls): State<Calls>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> impl IntoResponse {
    calls.fetch_add(1, Ordering::SeqCst);
    let host = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let json = serde_json::json!({ "query": query, "host": host });
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (HeaderName::from_static("x-upstream"), "yes"),
        ],
        json.to_string(),
    )
}

/// An upstream with `POST /echo` and `GET /item`, and the count of requests it served.
async fn upstream() -> (SocketAddr, Calls) {
    let calls = Calls::default();
    let app = Router::new()
        .route("/echo", post(echo))
        .route("/item", get(item))
        .with_state(Arc::clone(&calls));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, calls)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

#[tokio::test]
async fn a_post_and_a_get_pass_through_and_both_exchanges_are_recorded() {
    let (upstream, calls) = upstream().await;
    let recording = Recording::new();
    let proxy = RecordingProxy::start("A→B", upstream, recording.clone()).unwrap();
    let client = client();

    let posted = client
        .post(format!("{}/echo", proxy.base_url()))
        .header(header::CONTENT_TYPE, "application/x-test")
        .body("hello upstream")
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), StatusCode::CREATED);
    assert_eq!(posted.headers()[header::CONTENT_TYPE], "application/x-test");
    assert_eq!(posted.text().await.unwrap(), "hello upstream");

    let got = client
        .get(format!("{}/item?b=2&a=%20x", proxy.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(got.headers()[header::CONTENT_TYPE], "application/json");
    assert_eq!(got.headers()["x-upstream"], "yes");
    let json: serde_json::Value = got.json().await.unwrap();
    assert_eq!(
        json["query"], "b=2&a=%20x",
        "the query is forwarded verbatim"
    );
    assert_eq!(json["host"], upstream.to_string(), "Host is the upstream's");
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    let exchanges = recording.exchanges();
    assert_eq!(exchanges.len(), 2);
    let (post, get) = (&exchanges[0], &exchanges[1]);
    assert_eq!(post.label, "A→B");
    assert_eq!(
        (post.method.as_str(), post.path_and_query.as_str()),
        ("POST", "/echo")
    );
    assert_eq!(post.request_body, b"hello upstream");
    assert!(
        post.request_headers
            .contains(&("content-type".to_owned(), b"application/x-test".to_vec()))
    );
    assert_eq!(post.status, 201);
    assert_eq!(post.response_body, b"hello upstream");
    assert!(post.response_complete);
    assert_eq!(
        (get.method.as_str(), get.path_and_query.as_str()),
        ("GET", "/item?b=2&a=%20x")
    );
    assert!(get.request_body.is_empty());
    assert_eq!(get.status, 200);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&get.response_body).unwrap(),
        json
    );
    assert!(
        get.response_headers
            .contains(&("x-upstream".to_owned(), b"yes".to_vec()))
    );
    proxy.stop();
}

#[tokio::test]
async fn an_unreachable_upstream_is_answered_502_and_recorded() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let upstream = closed.local_addr().unwrap();
    drop(closed);
    let recording = Recording::new();
    let proxy = RecordingProxy::start("B→A", upstream, recording.clone()).unwrap();
    let answer = client()
        .post(format!("{}/convert", proxy.base_url()))
        .body("request")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::BAD_GATEWAY);
    let exchanges = recording.exchanges();
    assert_eq!(exchanges.len(), 1);
    assert_eq!(exchanges[0].status, 502);
    assert_eq!(exchanges[0].request_body, b"request");
    assert!(
        String::from_utf8_lossy(&exchanges[0].response_body).starts_with("upstream: "),
        "{:?}",
        String::from_utf8_lossy(&exchanges[0].response_body)
    );
}

#[tokio::test]
async fn a_body_over_the_limit_is_answered_413_and_not_forwarded() {
    let (upstream, calls) = upstream().await;
    let recording = Recording::new();
    let proxy =
        RecordingProxy::start_with_body_limit("A→B", upstream, recording.clone(), 16).unwrap();
    let client = client();
    let at_limit = client
        .post(format!("{}/echo", proxy.base_url()))
        .body(vec![b'x'; 16])
        .send()
        .await
        .unwrap();
    assert_eq!(at_limit.status(), StatusCode::CREATED);
    let over = client
        .post(format!("{}/echo", proxy.base_url()))
        .body(vec![b'x'; 17])
        .send()
        .await
        .unwrap();
    assert_eq!(over.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let exchanges = recording.exchanges();
    assert_eq!(exchanges.len(), 2);
    assert_eq!(exchanges[1].status, 413);
    assert!(exchanges[1].request_body.is_empty());
}

#[tokio::test]
async fn a_response_over_the_limit_is_cut_and_recorded_as_incomplete() {
    let (upstream, _) = upstream().await;
    let recording = Recording::new();
    let proxy =
        RecordingProxy::start_with_body_limit("A→B", upstream, recording.clone(), 16).unwrap();
    let url = format!("{}/item?padding={}", proxy.base_url(), "x".repeat(64));
    // Cut before or after the status line, depending on when the first chunk arrives.
    let received = async { client().get(url).send().await?.bytes().await }.await;
    assert!(received.is_err(), "{received:?}");
    let exchange = &recording.exchanges()[0];
    assert!(!exchange.response_complete);
    assert!(exchange.response_body.len() <= 16);
}

#[tokio::test]
async fn a_streamed_response_flows_through_and_is_recorded_as_it_arrives() {
    let (sender, receiver) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let receiver = Arc::new(tokio::sync::Mutex::new(Some(receiver)));
    let app = Router::new().route(
        "/v1/blocks/stream",
        get(move || {
            let receiver = Arc::clone(&receiver);
            async move {
                let receiver = receiver.lock().await.take().unwrap();
                let events = futures_util::stream::unfold(receiver, |mut receiver| async move {
                    receiver.recv().await.map(|item| (item, receiver))
                });
                (
                    [(header::CONTENT_TYPE, "text/event-stream")],
                    Body::from_stream(events),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let recording = Recording::new();
    let proxy = RecordingProxy::start("stream", upstream, recording.clone()).unwrap();

    let mut answer = client()
        .get(format!("{}/v1/blocks/stream?from=1", proxy.base_url()))
        .send()
        .await
        .unwrap();
    sender
        .send(Ok(Bytes::from_static(b"event: block\ndata: 1\n\n")))
        .await
        .unwrap();
    let first = answer.chunk().await.unwrap().unwrap();
    assert_eq!(first, "event: block\ndata: 1\n\n");
    let open = &recording.exchanges()[0];
    assert_eq!(open.response_body, b"event: block\ndata: 1\n\n");
    assert!(!open.response_complete);

    sender
        .send(Ok(Bytes::from_static(b"event: block\ndata: 2\n\n")))
        .await
        .unwrap();
    drop(sender);
    let mut rest = Vec::new();
    while let Some(chunk) = answer.chunk().await.unwrap() {
        rest.extend_from_slice(&chunk);
    }
    assert_eq!(rest, b"event: block\ndata: 2\n\n");
    let done = &recording.exchanges()[0];
    assert_eq!(
        done.response_body,
        b"event: block\ndata: 1\n\nevent: block\ndata: 2\n\n"
    );
    assert!(done.response_complete);
}

#[test]
fn a_stopped_proxy_refuses_connections() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let upstream = closed.local_addr().unwrap();
    let proxy = RecordingProxy::start("A→B", upstream, Recording::new()).unwrap();
    let addr = proxy.addr();
    assert!(std::net::TcpStream::connect(addr).is_ok());
    proxy.stop();
    assert!(std::net::TcpStream::connect(addr).is_err());
}

#[test]
fn hop_by_hop_headers_and_those_connection_names_are_not_forwarded() {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONNECTION,
        HeaderValue::from_static("keep-alive, X-Hop"),
    );
    headers.insert("x-hop", HeaderValue::from_static("1"));
    headers.insert(
        header::TRANSFER_ENCODING,
        HeaderValue::from_static("chunked"),
    );
    headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:1"));
    headers.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
    let forwarded = forwarded_headers(&headers, &[header::HOST]);
    let names: Vec<&str> = forwarded.keys().map(HeaderName::as_str).collect();
    assert_eq!(names, ["accept"]);
}
