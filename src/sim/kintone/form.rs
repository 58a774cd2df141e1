//! The fake app's form, in English (the default) or as a Japanese office
//! builds it: field codes, statuses and process actions in Japanese
//! (件名, ステータス, 担当者; 処理中 → 承認待ち → 確認済み). Everything the fake
//! does with a field goes through the form, so a gateway that assumes an
//! English code (`STATUS`, `Title`) fails against the Japanese one as it
//! would against a real Japanese app.

use serde_json::{json, Value};

/// One app's form and process management.
#[derive(Debug)]
pub struct Form {
    pub app_name: &'static str,
    /// (code, type, label) of every field.
    pub fields: &'static [(&'static str, &'static str, &'static str)],
    /// Process-management actions: (name, from status, to status).
    pub actions: &'static [(&'static str, &'static str, &'static str)],
    /// Codes of the fields the fake writes itself.
    pub status: &'static str,
    pub title: &'static str,
    pub assignee: &'static str,
    pub updated: &'static str,
    /// The assignee every record starts with: (login name, display name).
    pub person: (&'static str, &'static str),
}

/// The English app "Repairs".
pub const ENGLISH: Form = Form {
    app_name: "Repairs",
    fields: &[
        ("$id", "__ID__", "Record number"),
        ("$revision", "__REVISION__", "Revision"),
        ("STATUS", "STATUS", "Status"),
        ("Title", "SINGLE_LINE_TEXT", "Title"),
        ("Assignee", "USER_SELECT", "Assignee"),
        ("Acknowledged_by", "SINGLE_LINE_TEXT", "Acknowledged by"),
        ("Acknowledged_at", "DATETIME", "Acknowledged at"),
        ("Updated_datetime", "UPDATED_TIME", "Updated"),
    ],
    actions: &[
        ("Submit", "Open", "Needs approval"),
        ("Acknowledge", "Needs approval", "Acknowledged"),
        ("Approve", "Needs approval", "Approved"),
        ("Approve", "Acknowledged", "Approved"),
        ("Reopen", "Approved", "Open"),
    ],
    status: "STATUS",
    title: "Title",
    assignee: "Assignee",
    updated: "Updated_datetime",
    person: ("taro", "Taro Yamada"),
};

/// The Japanese app 修理依頼: codes as a Japanese kintone names them.
pub const JAPANESE: Form = Form {
    app_name: "修理依頼",
    fields: &[
        ("$id", "__ID__", "レコード番号"),
        ("$revision", "__REVISION__", "リビジョン"),
        ("ステータス", "STATUS", "ステータス"),
        ("件名", "SINGLE_LINE_TEXT", "件名"),
        ("担当者", "USER_SELECT", "担当者"),
        ("確認者", "SINGLE_LINE_TEXT", "確認者"),
        ("確認日時", "DATETIME", "確認日時"),
        ("更新日時", "UPDATED_TIME", "更新日時"),
    ],
    actions: &[
        ("承認依頼", "処理中", "承認待ち"),
        ("確認する", "承認待ち", "確認済み"),
        ("差し戻す", "確認済み", "処理中"),
    ],
    status: "ステータス",
    title: "件名",
    assignee: "担当者",
    updated: "更新日時",
    person: ("taro", "山田 太郎"),
};

impl Form {
    /// The type of field `code`, if the form has it.
    pub fn field_type(&self, code: &str) -> Option<&'static str> {
        self.fields
            .iter()
            .find(|(c, _, _)| *c == code)
            .map(|(_, ty, _)| *ty)
    }

    /// `GET app/form/fields.json`'s `properties`.
    pub fn properties(&self) -> serde_json::Map<String, Value> {
        self.fields
            .iter()
            .map(|(code, ty, label)| {
                (
                    (*code).to_owned(),
                    json!({"type": ty, "code": code, "label": label}),
                )
            })
            .collect()
    }

    /// A record as kintone returns it: every field, the others empty.
    pub fn record(&self, id: u64, revision: u64, status: &str, title: &str, now: &str) -> Value {
        let mut record = serde_json::Map::new();
        for (code, ty, _) in self.fields {
            let value = match *ty {
                "__ID__" => json!(id.to_string()),
                "__REVISION__" => json!(revision.to_string()),
                "STATUS" => json!(status),
                "UPDATED_TIME" => json!(now),
                "USER_SELECT" => json!([{"code": self.person.0, "name": self.person.1}]),
                _ if *code == self.title => json!(title),
                _ => json!(""),
            };
            record.insert((*code).to_owned(), json!({"type": ty, "value": value}));
        }
        Value::Object(record)
    }
}
