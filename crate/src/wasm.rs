//! The only module that knows about `wasm_bindgen`: thin exports over the core.
//! Every export returns the same JSON the CLI prints; errors are thrown as a
//! JSON string `{code, message, hint, detail?}` that the worker turns into an object.

use wasm_bindgen::prelude::*;

fn js_err(e: crate::error::Error) -> JsValue {
    JsValue::from_str(&e.to_json())
}

/// The core's version.
#[wasm_bindgen]
pub fn version() -> String {
    crate::VERSION.to_string()
}

/// Summarise a certificate file (PEM or DER): a JSON array of certificate facts.
#[wasm_bindgen(js_name = certSummary)]
pub fn cert_summary(bytes: &[u8]) -> Result<String, JsValue> {
    let facts = crate::cert::facts::summarize(bytes).map_err(js_err)?;
    serde_json::to_string(&facts).map_err(|e| JsValue::from_str(&e.to_string()))
}
