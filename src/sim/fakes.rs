//! Small fakes of LINE and kintone for the acknowledgement loop (tests, demo):
//! reply tokens are single-use (reuse → `400 Invalid reply token`), kintone
//! answers comments with ids and can be told to fail the next N requests.

use std::sync::{Arc, Mutex};

use super::http::{Handler, SimRequest, SimResponse, SimServer};
use serde_json::{json, Value};

#[derive(Default)]
pub struct LineState {
    pub used_tokens: Vec<String>,
    pub replies: Vec<Value>,
    pub pushes: Vec<Value>,
    pub push_keys: Vec<String>,
    pub requests: Vec<SimRequest>,
}

pub struct FakeLine {
    pub server: SimServer,
    pub state: Arc<Mutex<LineState>>,
}

impl FakeLine {
    pub async fn start() -> std::io::Result<FakeLine> {
        let state: Arc<Mutex<LineState>> = Arc::default();
        let s = state.clone();
        let handler: Handler = Arc::new(move |req: SimRequest| {
            let s = s.clone();
            Box::pin(async move {
                let mut st = s.lock().expect("simulator state lock");
                st.requests.push(req.clone());
                match req.path.as_str() {
                    "/v2/bot/message/reply" => {
                        if req.header("x-line-retry-key").is_some() {
                            return SimResponse::json(
                                400,
                                &json!({"message": "retry key not allowed"}),
                            );
                        }
                        let body = req.json().unwrap_or(Value::Null);
                        let token = body["replyToken"].as_str().unwrap_or("").to_owned();
                        if token.is_empty() || st.used_tokens.contains(&token) {
                            return SimResponse::json(
                                400,
                                &json!({"message": "Invalid reply token"}),
                            );
                        }
                        st.used_tokens.push(token);
                        st.replies.push(body);
                        SimResponse::json(200, &json!({"sentMessages": []}))
                    }
                    "/v2/bot/message/push" | "/v2/bot/message/multicast" => {
                        let key = req.header("x-line-retry-key").unwrap_or("").to_owned();
                        if key.len() != 36 {
                            return SimResponse::json(
                                400,
                                &json!({"message": "X-Line-Retry-Key must be a UUID"}),
                            );
                        }
                        if st.push_keys.contains(&key) {
                            return SimResponse::json(
                                409,
                                &json!({"message": "The retry key is already accepted"}),
                            )
                            .with_header("x-line-accepted-request-id", "req-earlier");
                        }
                        st.push_keys.push(key);
                        st.pushes.push(req.json().unwrap_or(Value::Null));
                        SimResponse::json(200, &json!({"sentMessages": [{"id": "1"}]}))
                            .with_header("x-line-request-id", "req-1")
                    }
                    "/v2/bot/message/quota" => SimResponse::json(200, &json!({"type": "none"})),
                    "/v2/bot/message/quota/consumption" => {
                        SimResponse::json(200, &json!({"totalUsage": 0}))
                    }
                    p if p.starts_with("/v2/bot/profile/") => SimResponse::json(
                        200,
                        &json!({"displayName": "Taro Yamada", "userId": &p[16..]}),
                    ),
                    _ => SimResponse::json(404, &json!({"message": "Not found"})),
                }
            })
        });
        Ok(FakeLine {
            server: SimServer::start(handler).await?,
            state,
        })
    }

    pub fn replies(&self) -> Vec<Value> {
        self.state
            .lock()
            .expect("simulator state lock")
            .replies
            .clone()
    }

    pub fn pushes(&self) -> Vec<Value> {
        self.state
            .lock()
            .expect("simulator state lock")
            .pushes
            .clone()
    }

    pub fn reply_calls(&self) -> usize {
        self.state
            .lock()
            .expect("simulator state lock")
            .requests
            .iter()
            .filter(|r| r.path == "/v2/bot/message/reply")
            .count()
    }
}

#[derive(Default)]
pub struct KintoneState {
    pub comments: Vec<Value>,
    /// Records as kintone returns them (`{code: {type, value}}`).
    pub records: Vec<Value>,
    /// Fail this many next requests with 503.
    pub fail_next: usize,
    pub requests: Vec<SimRequest>,
}

pub struct FakeKintone {
    pub server: SimServer,
    pub state: Arc<Mutex<KintoneState>>,
}

impl FakeKintone {
    pub async fn start(token: &'static str) -> std::io::Result<FakeKintone> {
        let state: Arc<Mutex<KintoneState>> = Arc::default();
        let s = state.clone();
        let handler: Handler = Arc::new(move |req: SimRequest| {
            let s = s.clone();
            Box::pin(async move {
                let mut st = s.lock().expect("simulator state lock");
                st.requests.push(req.clone());
                if req.header("x-cybozu-api-token") != Some(token) {
                    return SimResponse::json(
                        401,
                        &json!({"code": "GAIA_IA02", "message": "bad token"}),
                    );
                }
                if st.fail_next > 0 {
                    st.fail_next -= 1;
                    return SimResponse::json(
                        503,
                        &json!({"code": "GAIA_TM12", "message": "busy"}),
                    );
                }
                match (req.method.as_str(), req.path.as_str()) {
                    ("POST", "/k/v1/record/comment.json") => {
                        let body = req.json().unwrap_or(Value::Null);
                        if body["comment"]["text"].as_str().is_none() || body["record"].is_null() {
                            return SimResponse::json(
                                400,
                                &json!({"code": "CB_VA01", "message": "missing"}),
                            );
                        }
                        st.comments.push(body);
                        SimResponse::json(200, &json!({"id": st.comments.len().to_string()}))
                    }
                    ("GET", "/k/v1/record.json") => {
                        let id = req.query_param("id").unwrap_or_default();
                        match st.records.iter().find(|r| r["$id"]["value"] == id.as_str()) {
                            Some(r) => SimResponse::json(200, &json!({ "record": r })),
                            None => SimResponse::json(
                                404,
                                &json!({"code": "GAIA_RE01", "message": "not found"}),
                            ),
                        }
                    }
                    ("GET", "/k/v1/records.json") => {
                        let query = req.query_param("query").unwrap_or_default();
                        let after: u64 = query
                            .split("$id > ")
                            .nth(1)
                            .and_then(|r| r.split_whitespace().next())
                            .and_then(|n| n.parse().ok())
                            .unwrap_or(0);
                        let list: Vec<&Value> = st
                            .records
                            .iter()
                            .filter(|r| {
                                r["$id"]["value"]
                                    .as_str()
                                    .and_then(|v| v.parse::<u64>().ok())
                                    .unwrap_or(0)
                                    > after
                            })
                            .collect();
                        SimResponse::json(200, &json!({ "records": list }))
                    }
                    ("GET", "/k/v1/app/form/fields.json") => SimResponse::json(
                        200,
                        &json!({"properties": {
                            "Updated_datetime": {"type": "UPDATED_TIME", "code": "Updated_datetime", "label": "Updated"},
                            "STATUS": {"type": "STATUS", "code": "STATUS", "label": "Status"}
                        }}),
                    ),
                    ("GET", "/k/v1/record/comments.json") => {
                        let list: Vec<Value> = st
                            .comments
                            .iter()
                            .enumerate()
                            .rev()
                            .map(|(i, c)| json!({"id": (i + 1).to_string(), "text": c["comment"]["text"]}))
                            .collect();
                        SimResponse::json(
                            200,
                            &json!({"comments": list, "older": false, "newer": false}),
                        )
                    }
                    _ => SimResponse::json(
                        404,
                        &json!({"code": "GAIA_RE01", "message": "not found"}),
                    ),
                }
            })
        });
        Ok(FakeKintone {
            server: SimServer::start(handler).await?,
            state,
        })
    }

    /// Sets a record's status as a user in the browser would (revision + 1).
    pub fn set_record(&self, id: u64, revision: u64, status: &str) {
        let mut st = self.state.lock().expect("simulator state lock");
        st.records
            .retain(|r| r["$id"]["value"] != id.to_string().as_str());
        st.records.push(json!({
            "$id": {"type": "__ID__", "value": id.to_string()},
            "$revision": {"type": "__REVISION__", "value": revision.to_string()},
            "STATUS": {"type": "STATUS", "value": status},
            "Title": {"type": "SINGLE_LINE_TEXT", "value": "Fix the roof"},
            "Updated_datetime": {"type": "UPDATED_TIME", "value": "2026-11-25T00:00:00Z"}
        }));
    }

    pub fn comment_texts(&self) -> Vec<String> {
        self.state
            .lock()
            .expect("simulator state lock")
            .comments
            .iter()
            .map(|c| c["comment"]["text"].as_str().unwrap_or("").to_owned())
            .collect()
    }
}
