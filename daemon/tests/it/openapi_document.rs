//! The portal's API document checked by a standard OpenAPI validator (Python's
//! `openapi-spec-validator`, which `.ci/run` installs), so that client generators read it as
//! it is meant.

use std::process::Command;

/// Runs the validator on `doc` against `version`; `None` when the validator is not installed.
fn validate(doc: &serde_json::Value, version: &str) -> Option<(bool, String)> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("openapi.json");
    std::fs::write(&path, serde_json::to_vec_pretty(doc).expect("json")).expect("write");
    let out = Command::new("python3")
        .args(["-m", "openapi_spec_validator", "--schema", version])
        .arg(&path)
        .output()
        .ok()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if text.contains("No module named openapi_spec_validator") {
        return None;
    }
    Some((out.status.success(), text))
}

#[test]
fn the_api_document_is_valid_openapi_3_1() {
    let doc = ringside_portal::openapi::document();
    assert_eq!(doc["openapi"], "3.1.0");
    let Some((valid, report)) = validate(&doc, "3.1") else {
        crate::common::missing_dependency(
            "openapi-spec-validator (pip install openapi-spec-validator)",
        );
        return;
    };
    assert!(valid, "{report}");
}

/// The validator is a real check: a document with an operation that has no responses fails.
#[test]
fn the_validator_refuses_a_broken_document() {
    let mut doc = ringside_portal::openapi::document();
    doc["paths"]["/api/v1/followme"]["get"]["responses"] = serde_json::json!("none");
    let Some((valid, _)) = validate(&doc, "3.1") else {
        crate::common::missing_dependency(
            "openapi-spec-validator (pip install openapi-spec-validator)",
        );
        return;
    };
    assert!(!valid, "a broken document passed the validator");
}
