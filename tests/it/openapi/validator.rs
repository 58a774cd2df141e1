//! The schema walk: one instance against one schema, collecting every
//! problem with its JSON path.

use serde_json::{Map, Value};

use super::Spec;

pub(super) struct Validator<'s> {
    spec: &'s Spec,
    errors: Vec<String>,
    /// (schema node address, instance path) pairs being checked right now.
    active: Vec<(usize, String)>,
}

impl<'s> Validator<'s> {
    /// Every problem with `inst` against `schema`, in the order found.
    pub(super) fn run(spec: &'s Spec, schema: &'s Value, inst: &Value) -> Vec<String> {
        let mut v = Validator {
            spec,
            errors: Vec::new(),
            active: Vec::new(),
        };
        v.check(schema, inst, "$");
        v.errors
    }

    fn check(&mut self, schema: &'s Value, inst: &Value, path: &str) {
        let schema = match schema {
            Value::Bool(false) => return self.fail(path, "no value is allowed here".into()),
            Value::Object(map) => map,
            _ => return,
        };
        let here = (
            schema as *const Map<String, Value> as usize,
            path.to_owned(),
        );
        if self.active.contains(&here) {
            return;
        }
        self.active.push(here);
        self.check_object(schema, inst, path);
        self.active.pop();
    }

    fn check_object(&mut self, s: &'s Map<String, Value>, inst: &Value, path: &str) {
        if let Some(reference) = s.get("$ref").and_then(Value::as_str) {
            match self.spec.resolve(reference) {
                Some(target) => self.check(target, inst, path),
                None => self.fail(path, format!("unresolvable $ref {reference}")),
            }
        }
        if inst.is_null() && s.get("nullable") == Some(&Value::Bool(true)) {
            return;
        }
        if let Some(t) = s.get("type") {
            if !type_matches(t, inst) {
                return self.fail(path, format!("expected type {t}, found {}", kind(inst)));
            }
        }
        if let Some(Value::Array(allowed)) = s.get("enum") {
            if !allowed.contains(inst) {
                self.fail(
                    path,
                    format!("{inst} is not one of {}", Value::Array(allowed.clone())),
                );
            }
        }
        if let Some(c) = s.get("const").filter(|c| *c != inst) {
            self.fail(path, format!("{inst} is not {c}"));
        }
        match inst {
            Value::Object(obj) => self.check_properties(s, obj, path),
            Value::Array(items) => self.check_items(s, items, path),
            Value::String(text) => self.check_length(s, text, path),
            Value::Number(n) => self.check_range(s, n.as_f64().unwrap_or(f64::NAN), path),
            _ => {}
        }
        if let Some(Value::Array(all)) = s.get("allOf") {
            for sub in all {
                self.check(sub, inst, path);
            }
        }
        for (keyword, exactly_one) in [("anyOf", false), ("oneOf", true)] {
            if let Some(Value::Array(branches)) = s.get(keyword) {
                self.check_branches(keyword, branches, exactly_one, inst, path);
            }
        }
        if let (Some(d), Value::Object(obj)) = (s.get("discriminator"), inst) {
            self.check_discriminator(d, obj, inst, path);
        }
    }

    fn check_properties(
        &mut self,
        s: &'s Map<String, Value>,
        obj: &Map<String, Value>,
        path: &str,
    ) {
        if let Some(Value::Array(required)) = s.get("required") {
            for name in required.iter().filter_map(Value::as_str) {
                if !obj.contains_key(name) {
                    self.fail(path, format!("required property `{name}` is missing"));
                }
            }
        }
        let properties = s.get("properties").and_then(Value::as_object);
        for (name, value) in obj {
            let child = format!("{path}.{name}");
            match (
                properties.and_then(|p| p.get(name)),
                s.get("additionalProperties"),
            ) {
                (Some(sub), _) => self.check(sub, value, &child),
                (None, Some(Value::Bool(false))) => {
                    self.fail(&child, "property is not allowed".into())
                }
                (None, Some(extra @ Value::Object(_))) => self.check(extra, value, &child),
                (None, _) => {}
            }
        }
    }

    fn check_items(&mut self, s: &'s Map<String, Value>, items: &[Value], path: &str) {
        if let Some(min) = s
            .get("minItems")
            .and_then(Value::as_u64)
            .filter(|m| (items.len() as u64) < *m)
        {
            self.fail(
                path,
                format!("{} items, at least {min} required", items.len()),
            );
        }
        if let Some(max) = s
            .get("maxItems")
            .and_then(Value::as_u64)
            .filter(|m| items.len() as u64 > *m)
        {
            self.fail(
                path,
                format!("{} items, at most {max} allowed", items.len()),
            );
        }
        if let Some(sub) = s.get("items") {
            for (i, item) in items.iter().enumerate() {
                self.check(sub, item, &format!("{path}[{i}]"));
            }
        }
    }

    fn check_length(&mut self, s: &Map<String, Value>, text: &str, path: &str) {
        let len = text.chars().count() as u64;
        if let Some(max) = s
            .get("maxLength")
            .and_then(Value::as_u64)
            .filter(|m| len > *m)
        {
            self.fail(path, format!("{len} characters, at most {max} allowed"));
        }
        if let Some(min) = s
            .get("minLength")
            .and_then(Value::as_u64)
            .filter(|m| len < *m)
        {
            self.fail(path, format!("{len} characters, at least {min} required"));
        }
    }

    fn check_range(&mut self, s: &Map<String, Value>, n: f64, path: &str) {
        if let Some(min) = s.get("minimum").and_then(Value::as_f64).filter(|m| n < *m) {
            self.fail(path, format!("{n} is below the minimum {min}"));
        }
        if let Some(max) = s.get("maximum").and_then(Value::as_f64).filter(|m| n > *m) {
            self.fail(path, format!("{n} is above the maximum {max}"));
        }
    }

    fn check_branches(
        &mut self,
        keyword: &str,
        branches: &'s [Value],
        exactly_one: bool,
        inst: &Value,
        path: &str,
    ) {
        let mut failures = Vec::new();
        for branch in branches {
            let mut sub = Validator {
                spec: self.spec,
                errors: Vec::new(),
                active: self.active.clone(),
            };
            sub.check(branch, inst, path);
            if !sub.errors.is_empty() {
                failures.push(sub.errors.join("; "));
            }
        }
        let matched = branches.len() - failures.len();
        if matched == 0 {
            self.fail(
                path,
                format!("matches none of {keyword}: [{}]", failures.join(" | ")),
            );
        } else if exactly_one && matched > 1 {
            self.fail(
                path,
                format!("matches {matched} branches of oneOf, exactly one allowed"),
            );
        }
    }

    fn check_discriminator(
        &mut self,
        d: &'s Value,
        obj: &Map<String, Value>,
        inst: &Value,
        path: &str,
    ) {
        let Some(property) = d.get("propertyName").and_then(Value::as_str) else {
            return;
        };
        let Some(tag) = obj.get(property).and_then(Value::as_str) else {
            return self.fail(
                path,
                format!("discriminator property `{property}` is missing or not a string"),
            );
        };
        let mapping = d.get("mapping").and_then(Value::as_object);
        let reference = match mapping.and_then(|m| m.get(tag)).and_then(Value::as_str) {
            Some(r) => r.to_owned(),
            None => format!("#/components/schemas/{tag}"),
        };
        match self.spec.resolve(&reference) {
            Some(target) => self.check(target, inst, path),
            None => {
                let known: Vec<&str> = mapping
                    .map(|m| m.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                self.fail(
                    path,
                    format!("unknown {property} {tag:?}; known: {}", known.join(", ")),
                );
            }
        }
    }

    fn fail(&mut self, path: &str, message: String) {
        self.errors.push(format!("{path}: {message}"));
    }
}

fn type_matches(t: &Value, inst: &Value) -> bool {
    match t {
        Value::String(name) => is_type(name, inst),
        Value::Array(names) => names
            .iter()
            .filter_map(Value::as_str)
            .any(|n| is_type(n, inst)),
        _ => true,
    }
}

fn is_type(name: &str, inst: &Value) -> bool {
    match name {
        "object" => inst.is_object(),
        "array" => inst.is_array(),
        "string" => inst.is_string(),
        "boolean" => inst.is_boolean(),
        "null" => inst.is_null(),
        "number" => inst.is_number(),
        "integer" => {
            inst.is_i64() || inst.is_u64() || inst.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        _ => true,
    }
}

fn kind(inst: &Value) -> &'static str {
    match inst {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
