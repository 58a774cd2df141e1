//! A fake kintone domain with one app (id 1, "Repairs") using process
//! management.
//!
//! Where it matters it behaves like kintone (`../FACTS.md`): the API token is
//! checked; `PUT record.json` with a stale revision is `409 GAIA_CO02`;
//! writes raise `$revision` (a status action by 2) and set the updated time
//! to the minute; `records.json` reads its query as kintone does (bare
//! field codes, quoted strings, `and`/`or`, `order by`, `limit` ≤ 500,
//! `offset`) and refuses what kintone refuses; comments get ids and are listed
//! newest first; every single-record write — the gateway's own included —
//! fires a webhook when one is registered, and more than 60 a minute are
//! dropped. Faults (429, 5xx, 520, anything) can be queued for the next
//! requests, and comment answers can be held back to stage a crash.
//!
//! kintone may send a write's webhook before it answers the write: with
//! [`FakeKintone::echo_before_answer`], every single-record write is applied,
//! its webhook delivered and answered by the gateway, and only then answered
//! itself — when the test calls [`FakeKintone::release_writes`], or never
//! (a process killed while waiting). With [`FakeKintone::hold_writes`], writes
//! wait before they are applied (a person's change can get there first).
//! With [`FakeKintone::echo_headers_in_errors`], error answers carry the
//! request's headers (the API token among them). With
//! [`FakeKintone::japanese_form`], the app is the one a Japanese office
//! builds (`form.rs`), and queries are read as kintone reads them
//! (`query.rs`).

mod form;
mod query;

pub use form::{Form, ENGLISH, JAPANESE};

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use self::query::QueryError;
use super::http::{Handler, SimRequest, SimResponse, SimServer};

/// The one app's id and (English) name.
pub const APP: u64 = 1;
pub const APP_NAME: &str = ENGLISH.app_name;

/// Requests kintone answers at once per domain (429 beyond).
pub const MAX_CONCURRENT: usize = 100;

/// One comment as kintone keeps it.
#[derive(Debug, Clone)]
pub struct Comment {
    pub record: u64,
    pub id: u64,
    pub text: String,
}

/// A queued error answer: (method and path it applies to, or any; status; body).
type Fault = (Option<(String, String)>, u16, Value);

#[derive(Debug, Default)]
pub struct KintoneState {
    /// The API token the app accepts instead of the one it started with
    /// (regenerated in the app's settings: the old one stops working).
    reissued_token: Option<String>,
    /// Records by id, as kintone returns them (`{code: {type, value}}`).
    pub records: BTreeMap<u64, Value>,
    pub comments: Vec<Comment>,
    faults: VecDeque<Fault>,
    /// Answers to comment posts wait this long after the comment is stored.
    pub comment_delay: Duration,
    /// Injected error answers wait this long (a slow kintone that then
    /// refuses).
    pub fault_delay: Duration,
    webhook: Option<String>,
    webhook_times: VecDeque<Instant>,
    pub webhooks_sent: u64,
    pub webhooks_dropped: u64,
    /// Requests being answered now, the most ever at once, and how many
    /// were refused for going over kintone's 100.
    pub in_flight: usize,
    pub max_in_flight: usize,
    pub too_many: u64,
    next_webhook: u64,
    pub requests: Vec<SimRequest>,
    /// Send each write's webhook, and wait for its answer, before answering.
    echo_first: bool,
    /// Hold each write back before applying it.
    hold_first: bool,
    /// Writes being held back now (before applying, or before answering).
    pub held_writes: usize,
    /// Put the request's headers into every error answer's message.
    echo_headers: bool,
    /// The gateway's answers to webhooks: (webhook type, HTTP status).
    pub webhook_answers: Vec<(&'static str, u16)>,
    /// The app has the Japanese form, not the English one.
    japanese: bool,
}

impl KintoneState {
    /// The app's form.
    pub fn form(&self) -> &'static Form {
        if self.japanese {
            &JAPANESE
        } else {
            &ENGLISH
        }
    }
}

/// The fake kintone domain.
pub struct FakeKintone {
    pub server: SimServer,
    pub state: Arc<Mutex<KintoneState>>,
    http: reqwest::Client,
    /// Open (`true`): held write answers may go.
    gate: Arc<tokio::sync::watch::Sender<bool>>,
}

/// What a request does besides answering.
struct Outcome {
    response: SimResponse,
    webhook: Option<(&'static str, u64)>,
    delay: Duration,
}

impl From<SimResponse> for Outcome {
    fn from(response: SimResponse) -> Self {
        Outcome {
            response,
            webhook: None,
            delay: Duration::ZERO,
        }
    }
}

impl FakeKintone {
    /// Starts a domain whose app accepts the API token `token`.
    ///
    /// # Errors
    /// The loopback listener cannot be bound.
    pub async fn start(token: &'static str) -> std::io::Result<FakeKintone> {
        let state: Arc<Mutex<KintoneState>> = Arc::default();
        let http =
            crate::outbound::client(Duration::from_secs(10)).map_err(std::io::Error::other)?;
        let gate = Arc::new(tokio::sync::watch::Sender::new(true));
        let (s, h, g) = (state.clone(), http.clone(), gate.clone());
        let handler: Handler = Arc::new(move |req: SimRequest| {
            let (s, h, g) = (s.clone(), h.clone(), g.clone());
            Box::pin(async move {
                let echo = req.headers_echo();
                // kintone takes 100 requests at once per domain; beyond, 429.
                let over = {
                    let mut st = lock(&s);
                    st.in_flight += 1;
                    st.max_in_flight = st.max_in_flight.max(st.in_flight);
                    st.in_flight > MAX_CONCURRENT
                };
                let response = if over {
                    let mut st = lock(&s);
                    st.requests.push(req);
                    st.too_many += 1;
                    SimResponse::json(
                        429,
                        &json!({"id": "fake", "code": "GAIA_TM02",
                            "message": "Too many concurrent requests. Try again later."}),
                    )
                } else {
                    if req.method != "GET" && lock(&s).hold_first {
                        hold(&s, &g).await;
                    }
                    let outcome = handle(&mut lock(&s), token, req);
                    if let Some((kind, id)) = outcome.webhook {
                        if lock(&s).echo_first {
                            if let Some((url, body)) = webhook(&s, kind, id) {
                                deliver(&s, &h, kind, &url, &body).await;
                            }
                            hold(&s, &g).await;
                        } else {
                            fire(&s, &h, kind, id);
                        }
                    }
                    if !outcome.delay.is_zero() {
                        tokio::time::sleep(outcome.delay).await;
                    }
                    outcome.response
                };
                let mut st = lock(&s);
                st.in_flight -= 1;
                if st.echo_headers {
                    with_headers(response, &echo)
                } else {
                    response
                }
            })
        });
        Ok(FakeKintone {
            server: SimServer::start(handler).await?,
            state,
            http,
            gate,
        })
    }

    fn lock(&self) -> MutexGuard<'_, KintoneState> {
        lock(&self.state)
    }

    /// Regenerates the app's API token, as kintone's app settings do: only
    /// `token` works from now on.
    pub fn reissue_token(&self, token: &str) {
        lock(&self.state).reissued_token = Some(token.to_owned());
    }

    /// Sends webhooks for every single-record write to `url` from now on.
    pub fn set_webhook(&self, url: Option<String>) {
        self.lock().webhook = url;
    }

    /// Answers the next `n` requests with `503` (a transient outage).
    pub fn fail_next(&self, n: usize) {
        for _ in 0..n {
            self.fault(503, "GAIA_TM12", "Service temporarily unavailable");
        }
    }

    /// Answers the next request with `status` and a kintone error body.
    pub fn fault(&self, status: u16, code: &str, message: &str) {
        self.lock().faults.push_back((
            None,
            status,
            json!({"id": "fake-error", "code": code, "message": message}),
        ));
    }

    /// Answers the next `method path` request with `status` and an error body.
    pub fn fault_at(&self, method: &str, path: &str, status: u16, code: &str, message: &str) {
        self.lock().faults.push_back((
            Some((method.to_owned(), path.to_owned())),
            status,
            json!({"id": "fake-error", "code": code, "message": message}),
        ));
    }

    /// Forgets every fault not yet answered (the outage is over).
    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    /// From now on each single-record write is applied, its webhook sent
    /// and answered by the gateway, and the write answered only once
    /// [`FakeKintone::release_writes`] is called.
    pub fn echo_before_answer(&self) {
        self.lock().echo_first = true;
        self.gate.send_replace(false);
    }

    /// From now on each write waits, not yet applied, until
    /// [`FakeKintone::release_writes`] is called.
    pub fn hold_writes(&self) {
        self.lock().hold_first = true;
        self.gate.send_replace(false);
    }

    /// Lets the writes held back go on, and later ones pass at once.
    pub fn release_writes(&self) {
        self.gate.send_replace(true);
    }

    /// Writes being held back now.
    pub fn held_writes(&self) -> usize {
        self.lock().held_writes
    }

    /// The gateway's HTTP statuses for webhooks of this type, in order.
    pub fn webhook_answers(&self, kind: &str) -> Vec<u16> {
        self.lock()
            .webhook_answers
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, s)| *s)
            .collect()
    }

    /// From now on every error answer's message ends with the request's
    /// headers, API token included — as a misconfigured proxy or a debug
    /// page in front of kintone does. What the gateway keeps of it must not.
    pub fn echo_headers_in_errors(&self) {
        self.lock().echo_headers = true;
    }

    /// Holds each injected error answer back for `delay`.
    pub fn delay_faults(&self, delay: Duration) {
        self.lock().fault_delay = delay;
    }

    /// Holds each comment answer back for `delay` after storing the comment.
    pub fn delay_comments(&self, delay: Duration) {
        self.lock().comment_delay = delay;
    }

    /// From now on the app is the Japanese one ([`JAPANESE`]): its form,
    /// statuses and actions. Call before putting records in place.
    pub fn japanese_form(&self) {
        self.lock().japanese = true;
    }

    /// The app's form.
    pub fn form(&self) -> &'static Form {
        self.lock().form()
    }

    /// Puts a record in place as it stands, without a webhook (test set-up).
    pub fn set_record(&self, id: u64, revision: u64, status: &str) {
        self.set_titled_record(id, revision, status, "Fix the roof");
    }

    /// Like [`FakeKintone::set_record`], with the title field set to `title`.
    pub fn set_titled_record(&self, id: u64, revision: u64, status: &str, title: &str) {
        let mut st = self.lock();
        let record = st
            .form()
            .record(id, revision, status, title, &updated_now());
        st.records.insert(id, record);
    }

    /// Adds `n` records numbered from `first`, all in `status`, without webhooks.
    pub fn add_records(&self, first: u64, n: u64, status: &str) {
        let mut st = self.lock();
        let form = st.form();
        for id in first..first + n {
            let record = form.record(id, 1, status, &format!("Job {id}"), &updated_now());
            st.records.insert(id, record);
        }
    }

    /// A person runs a process-management step in the browser: the status
    /// changes, the revision rises by 2, and a webhook fires if registered.
    /// Returns the new revision, or `None` if there is no such record.
    pub fn user_sets_status(&self, id: u64, status: &str) -> Option<u64> {
        let revision = {
            let mut st = self.lock();
            let form = st.form();
            let record = st.records.get_mut(&id)?;
            record[form.status]["value"] = json!(status);
            bump(form, record, 2)
        };
        fire(&self.state, &self.http, "UPDATE_STATUS", id);
        Some(revision)
    }

    /// A person sets a field in the browser (revision + 1, webhook).
    pub fn user_sets_field(&self, id: u64, code: &str, value: Value) -> Option<u64> {
        let revision = {
            let mut st = self.lock();
            let form = st.form();
            let record = st.records.get_mut(&id)?;
            record[code]["value"] = value;
            bump(form, record, 1)
        };
        fire(&self.state, &self.http, "UPDATE_RECORD", id);
        Some(revision)
    }

    /// A record as kintone would return it now.
    pub fn record(&self, id: u64) -> Option<Value> {
        self.lock().records.get(&id).cloned()
    }

    /// Texts of every comment, oldest first.
    pub fn comment_texts(&self) -> Vec<String> {
        self.lock()
            .comments
            .iter()
            .map(|c| c.text.clone())
            .collect()
    }

    /// Requests with this method and path, answered or not.
    pub fn calls(&self, method: &str, path: &str) -> usize {
        self.lock()
            .requests
            .iter()
            .filter(|r| r.method.as_str() == method && r.path == path)
            .count()
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<SimRequest> {
        self.lock().requests.clone()
    }
}

fn lock(state: &Mutex<KintoneState>) -> MutexGuard<'_, KintoneState> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// kintone's updated time: UTC, to the minute.
fn updated_now() -> String {
    let now = jiff::Timestamp::now().as_second();
    jiff::Timestamp::from_second(now - now.rem_euclid(60))
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn revision_of(record: &Value) -> u64 {
    record["$revision"]["value"]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Raises the revision by `by`, stamps the updated time, returns the revision.
fn bump(form: &Form, record: &mut Value, by: u64) -> u64 {
    let revision = revision_of(record) + by;
    record["$revision"]["value"] = json!(revision.to_string());
    record[form.updated]["value"] = json!(updated_now());
    revision
}

/// A DATETIME value kintone accepts: empty, or `YYYY-MM-DDTHH:MM(:SS)Z`.
fn is_datetime(v: &str) -> bool {
    v.is_empty()
        || ["%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%MZ"]
            .iter()
            .any(|f| jiff::civil::DateTime::strptime(f, v).is_ok())
}

/// `response` with `echo` appended to its message, if it is an error.
fn with_headers(response: SimResponse, echo: &str) -> SimResponse {
    if response.status.as_u16() < 400 {
        return response;
    }
    let mut body: Value = serde_json::from_slice(&response.body).unwrap_or_else(|_| json!({}));
    let message = body["message"].as_str().unwrap_or_default().to_owned();
    body["message"] = json!(format!("{message} (request: {echo})"));
    SimResponse::json(response.status.as_u16(), &body)
}

fn error(status: u16, code: &str, message: &str) -> SimResponse {
    SimResponse::json(
        status,
        &json!({"id": "fake-error", "code": code, "message": message}),
    )
}

fn validation(field: &str, message: &str) -> SimResponse {
    SimResponse::json(
        520,
        &json!({"id": "fake-error", "code": "CB_VA01", "message": "Missing or invalid input.",
                "errors": {field: {"messages": [message]}}}),
    )
}

/// A JSON number or numeric string, as kintone accepts both.
fn number(v: &Value) -> Option<u64> {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

fn handle(st: &mut KintoneState, token: &str, req: SimRequest) -> Outcome {
    st.requests.push(req.clone());
    let token = st.reissued_token.as_deref().unwrap_or(token);
    if req.header("x-cybozu-api-token") != Some(token) {
        return error(
            401,
            "GAIA_IA02",
            "The specified API token does not match the API token generated via an app.",
        )
        .into();
    }
    let due = st.faults.iter().position(|(at, _, _)| {
        at.as_ref()
            .is_none_or(|(m, p)| req.method.as_str() == m && req.path == *p)
    });
    if let Some((_, status, body)) = due.and_then(|i| st.faults.remove(i)) {
        return Outcome {
            response: SimResponse::json(status, &body),
            webhook: None,
            delay: st.fault_delay,
        };
    }
    let app = if req.method == "GET" {
        req.query_param("app").and_then(|a| a.parse::<u64>().ok())
    } else {
        req.json().and_then(|b| number(&b["app"]))
    };
    if app != Some(APP) {
        return error(404, "GAIA_AP01", "The app (ID: ?) not found.").into();
    }
    match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/k/v1/record.json") => {
            let id = req.query_param("id").and_then(|i| i.parse::<u64>().ok());
            match id.and_then(|i| st.records.get(&i)) {
                Some(r) => SimResponse::json(200, &json!({ "record": r })).into(),
                None => error(404, "GAIA_RE01", "The specified record is not found.").into(),
            }
        }
        ("GET", "/k/v1/records.json") => records(st, &req).into(),
        ("PUT", "/k/v1/record.json") => put_record(st, &req),
        ("PUT", "/k/v1/record/status.json") => put_status(st, &req),
        ("POST", "/k/v1/record/comment.json") => post_comment(st, &req),
        ("GET", "/k/v1/record/comments.json") => {
            let record = req
                .query_param("record")
                .and_then(|r| r.parse::<u64>().ok());
            let list: Vec<Value> = st
                .comments
                .iter()
                .rev()
                .filter(|c| Some(c.record) == record)
                .map(|c| json!({"id": c.id.to_string(), "text": c.text}))
                .collect();
            SimResponse::json(
                200,
                &json!({"comments": list, "older": false, "newer": false}),
            )
            .into()
        }
        ("GET", "/k/v1/app/form/fields.json") => {
            let properties = st.form().properties();
            SimResponse::json(200, &json!({"properties": properties, "revision": "3"})).into()
        }
        _ => error(404, "GAIA_RE01", "The requested API is not found.").into(),
    }
}

/// The records the query selects, in its order, within its offset and limit.
fn records(st: &KintoneState, req: &SimRequest) -> SimResponse {
    let form = st.form();
    let text = req.query_param("query").unwrap_or_default();
    let query = match query::parse(&text, &|code| form.field_type(code).is_some()) {
        Ok(q) => q,
        Err(QueryError::Syntax(why)) => {
            return error(400, "GAIA_IQ03", &format!("The query is invalid: {why}."))
        }
        Err(QueryError::UnknownField(code)) => {
            return error(
                400,
                "GAIA_IQ11",
                &format!("The specified field ({code}) not found."),
            )
        }
        Err(QueryError::Limit(why)) => return error(400, "GAIA_QU01", &why),
    };
    let mut list: Vec<&Value> = st.records.values().filter(|r| query.matches(r)).collect();
    query.sort(&mut list);
    let list: Vec<&Value> = list
        .into_iter()
        .skip(query.offset)
        .take(query.limit)
        .collect();
    SimResponse::json(200, &json!({ "records": list, "totalCount": null }))
}

/// Checks `revision` (absent or -1: no check) against the record.
fn check_revision(body: &Value, record: &Value) -> Result<(), SimResponse> {
    match &body["revision"] {
        Value::Null => Ok(()),
        v if v.as_i64() == Some(-1) || v.as_str() == Some("-1") => Ok(()),
        v if number(v) == Some(revision_of(record)) => Ok(()),
        _ => Err(error(
            409,
            "GAIA_CO02",
            "The revision is not the latest. Someone may update a record.",
        )),
    }
}

fn put_record(st: &mut KintoneState, req: &SimRequest) -> Outcome {
    let body = req.json().unwrap_or(Value::Null);
    let Some(id) = number(&body["id"]) else {
        return validation("id", "Required field.").into();
    };
    let form = st.form();
    let Some(record) = st.records.get_mut(&id) else {
        return error(404, "GAIA_RE01", "The specified record is not found.").into();
    };
    if let Err(r) = check_revision(&body, record) {
        return r.into();
    }
    let Some(fields) = body["record"].as_object() else {
        return validation("record", "Required field.").into();
    };
    for (code, v) in fields {
        let writable = form
            .field_type(code)
            .is_some_and(|ty| !matches!(ty, "__ID__" | "__REVISION__" | "STATUS" | "UPDATED_TIME"));
        if !writable {
            return error(
                400,
                "GAIA_IQ11",
                &format!("The specified field ({code}) does not exist or cannot be written."),
            )
            .into();
        }
        if v.get("value").is_none() {
            return validation(&format!("record.{code}.value"), "Required field.").into();
        }
        let datetime = form.field_type(code) == Some("DATETIME");
        if datetime && !v["value"].as_str().is_some_and(is_datetime) {
            return validation(
                &format!("record.{code}.value"),
                "Enter the date and time as YYYY-MM-DDTHH:MM:SSZ.",
            )
            .into();
        }
    }
    for (code, v) in fields {
        record[code.as_str()]["value"] = v["value"].clone();
    }
    let revision = bump(form, record, 1);
    Outcome {
        response: SimResponse::json(200, &json!({"revision": revision.to_string()})),
        webhook: Some(("UPDATE_RECORD", id)),
        delay: Duration::ZERO,
    }
}

fn put_status(st: &mut KintoneState, req: &SimRequest) -> Outcome {
    let body = req.json().unwrap_or(Value::Null);
    let Some(id) = number(&body["id"]) else {
        return validation("id", "Required field.").into();
    };
    let form = st.form();
    let Some(record) = st.records.get_mut(&id) else {
        return error(404, "GAIA_RE01", "The specified record is not found.").into();
    };
    if let Err(r) = check_revision(&body, record) {
        return r.into();
    }
    let action = body["action"].as_str().unwrap_or("");
    let from = record[form.status]["value"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    let Some((_, _, to)) = form
        .actions
        .iter()
        .find(|(a, f, _)| *a == action && *f == from)
    else {
        return error(
            400,
            "GAIA_NT01",
            &format!("The action {action:?} cannot be run from the status {from:?}."),
        )
        .into();
    };
    record[form.status]["value"] = json!(to);
    let revision = bump(form, record, 2);
    Outcome {
        response: SimResponse::json(200, &json!({"revision": revision.to_string()})),
        webhook: Some(("UPDATE_STATUS", id)),
        delay: Duration::ZERO,
    }
}

fn post_comment(st: &mut KintoneState, req: &SimRequest) -> Outcome {
    let body = req.json().unwrap_or(Value::Null);
    let Some(record) = number(&body["record"]) else {
        return validation("record", "Required field.").into();
    };
    let Some(text) = body["comment"]["text"].as_str() else {
        return validation("comment.text", "Required field.").into();
    };
    if text.chars().count() > 65_535 {
        return validation("comment.text", "Enter up to 65,535 characters.").into();
    }
    if !st.records.contains_key(&record) {
        return error(404, "GAIA_RE01", "The specified record is not found.").into();
    }
    let id = st.comments.len() as u64 + 1;
    st.comments.push(Comment {
        record,
        id,
        text: text.to_owned(),
    });
    Outcome {
        response: SimResponse::json(200, &json!({"id": id.to_string()})),
        webhook: Some(("ADD_RECORD_COMMENT", record)),
        delay: st.comment_delay,
    }
}

/// Sends a webhook for record `id` if one is registered, dropping it beyond
/// 60 a minute as kintone does. Sent in the background; never retried.
fn fire(state: &Arc<Mutex<KintoneState>>, http: &reqwest::Client, kind: &'static str, id: u64) {
    let Some((url, body)) = webhook(state, kind, id) else {
        return;
    };
    let (state, http) = (state.clone(), http.clone());
    tokio::spawn(async move { deliver(&state, &http, kind, &url, &body).await });
}

/// The webhook for record `id` as it stands (URL and body), or `None` if none
/// is registered or kintone's 60 a minute are used up.
#[expect(clippy::disallowed_methods, reason = "kintone's minute is real time")]
fn webhook(
    state: &Arc<Mutex<KintoneState>>,
    kind: &'static str,
    id: u64,
) -> Option<(String, Value)> {
    let mut st = lock(state);
    let url = st.webhook.clone()?;
    let now = Instant::now();
    while st
        .webhook_times
        .front()
        .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
    {
        st.webhook_times.pop_front();
    }
    if st.webhook_times.len() >= 60 {
        st.webhooks_dropped += 1;
        return None;
    }
    st.webhook_times.push_back(now);
    st.webhooks_sent += 1;
    st.next_webhook += 1;
    let record = st.records.get(&id).cloned().unwrap_or(Value::Null);
    let form = st.form();
    let title = record[form.title]["value"].clone();
    let body = json!({
        "id": format!("00000000-0000-4000-8000-{:012}", st.next_webhook),
        "type": kind,
        "app": {"id": APP.to_string(), "name": form.app_name},
        "record": record,
        "recordTitle": title,
        "url": format!("https://example.cybozu.com/k/{APP}/show#record={id}"),
    });
    Some((url, body))
}

/// Posts one webhook and notes the gateway's answer.
async fn deliver(
    state: &Mutex<KintoneState>,
    http: &reqwest::Client,
    kind: &'static str,
    url: &str,
    body: &Value,
) {
    match http.post(url).json(body).send().await {
        Ok(r) => lock(state)
            .webhook_answers
            .push((kind, r.status().as_u16())),
        Err(e) => tracing::debug!(error = %e, "simulated kintone: webhook not delivered"),
    }
}

/// Waits until held writes may go on (counted in `held_writes` meanwhile;
/// the count drops also if the client gives up and the request is dropped).
async fn hold(state: &Arc<Mutex<KintoneState>>, gate: &tokio::sync::watch::Sender<bool>) {
    struct Held<'a>(&'a Mutex<KintoneState>);
    impl Drop for Held<'_> {
        fn drop(&mut self) {
            lock(self.0).held_writes -= 1;
        }
    }
    lock(state).held_writes += 1;
    let _held = Held(state);
    let mut open = gate.subscribe();
    let _ = open.wait_for(|open| *open).await;
}
