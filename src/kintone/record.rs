//! Record JSON as kintone sends it: `{code: {type, value}}`, scalars as
//! strings, `$id` and `$revision` included.

use serde_json::{Map, Value};

use super::error::KintoneError;
use crate::domain::{RecordId, Revision};

/// The field code a rule watches by default: the record's process-management
/// status, whatever its code in this app.
pub const STATUS: &str = "STATUS";

/// One record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub id: RecordId,
    pub revision: Revision,
    pub fields: Map<String, Value>,
}

impl Record {
    /// Parses a record object, keeping its fields without a copy (a page of
    /// 500 records is megabytes of JSON values).
    ///
    /// # Errors
    /// Not an object, or `$id` / `$revision` missing or not numbers.
    pub fn from_json(v: Value) -> Result<Record, KintoneError> {
        let Value::Object(fields) = v else {
            return Err(KintoneError::Protocol("record is not an object".into()));
        };
        let num = |k: &str| {
            fields
                .get(k)
                .and_then(|f| f.get("value"))
                .and_then(|x| {
                    x.as_str()
                        .map(str::to_owned)
                        .or_else(|| x.as_u64().map(|n| n.to_string()))
                })
                .ok_or_else(|| KintoneError::Protocol(format!("record without {k}")))
        };
        let id =
            RecordId::parse(&num("$id")?).map_err(|e| KintoneError::Protocol(e.to_string()))?;
        let revision = num("$revision")?
            .parse::<u64>()
            .map(Revision)
            .map_err(|e| KintoneError::Protocol(e.to_string()))?;
        Ok(Record {
            id,
            revision,
            fields,
        })
    }

    /// A field's value as text, for scalar fields (text, drop-down, status,
    /// number, date-time …). [`STATUS`] names the record's status field
    /// whatever its code (a Japanese app calls it `ステータス`) unless a field
    /// is literally called so.
    pub fn text(&self, code: &str) -> Option<String> {
        if code == STATUS && !self.fields.contains_key(code) {
            return self.status();
        }
        match self.fields.get(code)?.get("value")? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// A field's value as a person reads it: text and numbers as they are,
    /// lists joined with ", ", users, organisations and groups by name,
    /// files by name, a table by its row count.
    pub fn display(&self, code: &str) -> Option<String> {
        fn one(v: &Value) -> Option<String> {
            match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                Value::Object(o) => o
                    .get("name")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .or_else(|| o.get("code").and_then(Value::as_str).map(str::to_owned)),
                _ => None,
            }
        }
        match self.fields.get(code)?.get("value")? {
            Value::Array(items) if self.field_type(code) == Some("SUBTABLE") => {
                Some(format!("({} rows)", items.len()))
            }
            Value::Array(items) => {
                Some(items.iter().filter_map(one).collect::<Vec<_>>().join(", "))
            }
            v => one(v),
        }
    }

    /// The user codes in a user-selection, assignee or creator field.
    pub fn user_codes(&self, code: &str) -> Vec<String> {
        let code_of = |u: &Value| u.get("code").and_then(Value::as_str).map(str::to_owned);
        match self.fields.get(code).and_then(|f| f.get("value")) {
            Some(Value::Array(users)) => users.iter().filter_map(code_of).collect(),
            Some(u @ Value::Object(_)) => code_of(u).into_iter().collect(),
            _ => Vec::new(),
        }
    }

    /// The process-management status, found by its field's type: its code
    /// is `STATUS` in an English kintone but `ステータス` in a Japanese one.
    pub fn status(&self) -> Option<String> {
        let code = self
            .fields
            .iter()
            .find(|(_, f)| f.get("type").and_then(Value::as_str) == Some("STATUS"))?
            .0;
        self.text(code)
    }

    /// A field's type, e.g. `STATUS`.
    pub fn field_type(&self, code: &str) -> Option<&str> {
        self.fields.get(code)?.get("type")?.as_str()
    }
}

#[cfg(test)]
mod display_tests {
    use super::*;

    #[test]
    fn display_reads_lists_users_and_tables() {
        let r = Record::from_json(serde_json::json!({
            "$id": {"type": "__ID__", "value": "1"},
            "$revision": {"type": "__REVISION__", "value": "1"},
            "A": {"type": "USER_SELECT", "value": [{"code": "taro", "name": "Taro Yamada"}, {"code": "hana", "name": "Hana Sato"}]},
            "B": {"type": "CHECK_BOX", "value": ["x", "y"]},
            "C": {"type": "CREATOR", "value": {"code": "taro", "name": "Taro Yamada"}},
            "D": {"type": "SUBTABLE", "value": [{"id": "1", "value": {}}]},
            "E": {"type": "NUMBER", "value": "12"}
        }))
        .unwrap();
        assert_eq!(r.display("A").unwrap(), "Taro Yamada, Hana Sato");
        assert_eq!(r.display("B").unwrap(), "x, y");
        assert_eq!(r.display("C").unwrap(), "Taro Yamada");
        assert_eq!(r.display("D").unwrap(), "(1 rows)");
        assert_eq!(r.display("E").unwrap(), "12");
        assert_eq!(r.display("missing"), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kintone_shapes() {
        let v = serde_json::json!({
            "$id": {"type": "__ID__", "value": "7"},
            "$revision": {"type": "__REVISION__", "value": "3"},
            "STATUS": {"type": "STATUS", "value": "Needs approval"},
            "Approver": {"type": "USER_SELECT", "value": [{"code": "taro", "name": "Taro"}]},
            "Creator": {"type": "CREATOR", "value": {"code": "hanako", "name": "Hanako"}}
        });
        let r = Record::from_json(v).unwrap();
        assert_eq!((r.id.get(), r.revision.0), (7, 3));
        assert_eq!(r.text("STATUS").as_deref(), Some("Needs approval"));
        assert_eq!(r.user_codes("Approver"), vec!["taro"]);
        assert_eq!(r.user_codes("Creator"), vec!["hanako"]);
        assert_eq!(r.field_type("STATUS"), Some("STATUS"));
        assert_eq!(r.status().as_deref(), Some("Needs approval"));
        assert!(Record::from_json(serde_json::json!({})).is_err());
    }

    /// A Japanese kintone names the status field ステータス.
    #[test]
    fn the_status_is_found_by_type_whatever_its_code() {
        let r = Record::from_json(serde_json::json!({
            "$id": {"type": "__ID__", "value": "7"},
            "$revision": {"type": "__REVISION__", "value": "3"},
            "ステータス": {"type": "STATUS", "value": "承認待ち"},
            "件名": {"type": "SINGLE_LINE_TEXT", "value": "会議室のエアコンが動かない"}
        }))
        .unwrap();
        assert_eq!(r.status().as_deref(), Some("承認待ち"));
        // A rule's default field, `STATUS`, is that field in a Japanese app.
        assert_eq!(r.text(STATUS).as_deref(), Some("承認待ち"));
        assert_eq!(
            r.text("件名").as_deref(),
            Some("会議室のエアコンが動かない")
        );
    }
}
