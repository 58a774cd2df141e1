//! A small OpenAPI schema validator for tests: checks what the gateway sends
//! against the official descriptions in `tests/specs/`.
//!
//! The rule it keeps: a body the real service would refuse for its shape
//! fails the test. It understands `$ref` (JSON pointers into the document),
//! `type` (a name or a list), `nullable`, `enum`, `const`, `properties`,
//! `required`, `additionalProperties`, `items`, `minItems`/`maxItems`,
//! `minLength`/`maxLength`, `minimum`/`maximum`, `allOf`, `anyOf`, `oneOf`
//! and `discriminator` (`propertyName` with `mapping`, or a schema named like
//! the value). Other keywords (`format`, `pattern`, …) are ignored.
//!
//! Discriminators in the LINE spec point from a base schema to subtypes that
//! `allOf` the base again. A schema is therefore not entered again while it
//! is still being checked for the same place in the instance: that visit is
//! the cycle, and skipping it loses nothing because the visit in progress
//! checks the same keywords.

mod validator;

use std::collections::HashSet;
use std::path::Path;

use serde_json::Value;

use validator::Validator;

/// A parsed OpenAPI document.
pub struct Spec {
    root: Value,
}

/// Reads an OpenAPI YAML (or JSON) file. Panics with the path when it cannot:
/// a test without its spec cannot check anything.
pub fn load(path: impl AsRef<Path>) -> Spec {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    parse(&text).unwrap_or_else(|e| panic!("cannot parse {}: {e}", path.display()))
}

/// Parses an OpenAPI document from YAML (JSON is YAML too).
pub fn parse(yaml: &str) -> Result<Spec, String> {
    let mut value: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(yaml).map_err(|e| e.to_string())?;
    value.apply_merge().map_err(|e| e.to_string())?;
    Ok(Spec {
        root: to_json(value),
    })
}

/// The LINE Messaging API description shipped with the tests, parsed once.
pub fn line_messaging_api() -> &'static Spec {
    static SPEC: std::sync::OnceLock<Spec> = std::sync::OnceLock::new();
    SPEC.get_or_init(|| {
        load(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/specs/line-openapi/messaging-api.yml"
        ))
    })
}

/// The kintone REST API description shipped with the tests, parsed once.
pub fn kintone_rest_api() -> &'static Spec {
    static SPEC: std::sync::OnceLock<Spec> = std::sync::OnceLock::new();
    SPEC.get_or_init(|| {
        load(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/specs/kintone-rest-api-spec/openapi.yaml"
        ))
    })
}

impl Spec {
    /// Checks `value` against a schema: a name under `components/schemas`
    /// (`"PushMessageRequest"`) or a JSON pointer into the document
    /// (`"#/paths/~1v2~1bot~1message~1push/post/requestBody/content/application~1json/schema"`).
    ///
    /// # Errors
    /// Every problem found, each as `$.json.path: what is wrong`.
    pub fn validate(&self, schema: &str, value: &Value) -> Result<(), Vec<String>> {
        let reference = if schema.starts_with('#') {
            schema.to_owned()
        } else {
            format!("#/components/schemas/{schema}")
        };
        let Some(schema) = self.resolve(&reference) else {
            return Err(vec![format!("no schema at {reference}")]);
        };
        let mut seen = HashSet::new();
        let errors: Vec<String> = Validator::run(self, schema, value)
            .into_iter()
            .filter(|e| seen.insert(e.clone()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The value a local reference (`#/a/b~1c`) points at.
    pub fn resolve(&self, reference: &str) -> Option<&Value> {
        let pointer = reference.strip_prefix('#')?;
        if pointer.is_empty() {
            return Some(&self.root);
        }
        // serde_json pointers already decode ~0 and ~1; percent-encoding is
        // not used by these specs.
        self.root.pointer(pointer)
    }
}

/// YAML to JSON. Non-string keys (`200:`) become their text; tags are dropped.
fn to_json(value: serde_yaml_ng::Value) -> Value {
    use serde_yaml_ng::Value as Y;
    match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64().map_or(Value::Null, Value::from)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(to_json).collect()),
        Y::Mapping(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let key = match to_json(k) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        Y::Tagged(tagged) => to_json(tagged.value),
    }
}

#[cfg(test)]
mod tests;
