//! The OpenAPI document served at `/openapi.json` describes exactly the routes the router
//! serves ([`ROUTES`] and the document itself), and every operation has an `operationId`,
//! documented responses and, on back-office routes, the bearer security scheme.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::BTreeSet;

use crosscode_issuer::http::{OPENAPI_JSON, ROUTES};
use serde_json::Value;

#[test]
fn the_openapi_document_lists_exactly_the_routes_the_router_serves() {
    let document: Value = serde_json::from_str(OPENAPI_JSON).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let documented: BTreeSet<(String, String)> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| (method.to_uppercase(), path.clone()))
        })
        .collect();
    let mut served: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(method, path)| ((*method).to_owned(), (*path).to_owned()))
        .collect();
    served.insert(("GET".into(), "/openapi.json".into()));
    assert_eq!(documented, served);
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            assert!(operation["operationId"].is_string(), "{method} {path}");
            assert!(
                !operation["responses"].as_object().unwrap().is_empty(),
                "{method} {path}"
            );
        }
    }
}

#[test]
fn back_office_routes_declare_the_bearer_token() {
    let document: Value = serde_json::from_str(OPENAPI_JSON).unwrap();
    for (method, path) in [
        ("post", "/credentials/issue"),
        ("post", "/credentials/status"),
        ("post", "/v1/records"),
        ("delete", "/v1/records/{id}"),
        ("post", "/v1/batches"),
        ("post", "/v1/offers"),
    ] {
        let operation = &document["paths"][path][method];
        assert_eq!(operation["security"][0]["backOffice"], serde_json::json!([]), "{path}");
        assert!(operation["responses"]["401"].is_object(), "{path}");
    }
}
