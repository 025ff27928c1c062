//! The CertLogic evaluator passes every case of the upstream evaluator test suite.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use crosscode_verifier::certlogic;

#[test]
fn certlogic_evaluator_test_suite() {
    let dir = common::vector_path("certlogic/certlogic/specification/testSuite");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 14, "only {} suite files", files.len());
    let (mut passed, mut failures) = (0, Vec::new());
    for path in &files {
        let suite: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        for case in suite["cases"].as_array().unwrap() {
            for assertion in case["assertions"].as_array().unwrap() {
                let expr = assertion
                    .get("certLogicExpression")
                    .unwrap_or(&case["certLogicExpression"]);
                let data = assertion
                    .get("data")
                    .cloned()
                    .unwrap_or(serde_json::Value::Null);
                let expected = &assertion["expected"];
                match certlogic::evaluate(expr, &data) {
                    Ok(got) if &got == expected => passed += 1,
                    other => failures.push(format!(
                        "{} / {} / {}: {expr} on {data} expected {expected}, got {other:?}",
                        path.file_name().unwrap().to_string_lossy(),
                        case["name"],
                        assertion.get("message").unwrap_or(&serde_json::Value::Null)
                    )),
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(passed >= 200, "only {passed} assertions ran");
}
