//! A fake of the LINE platform: the Messaging API endpoints the gateway calls,
//! and the webhook side (signed deliveries to the gateway, as LINE sends them).
//!
//! Where it matters it behaves like LINE (`../FACTS.md`): reply tokens are
//! issued with an event, single-use and expire (`400 Invalid reply token`);
//! a reply with `X-Line-Retry-Key` is a 400; push and multicast need a UUID
//! retry key and answer a repeat of an accepted key with `409` and
//! `x-line-accepted-request-id`; each recipient counts against a monthly
//! quota, and an exhausted quota is `429 "You have reached your monthly
//! limit."`; faults (5xx, rate-limit 429, 400) can be queued for the next
//! pushes, and errors can echo the request's headers
//! ([`FakeLine::echo_headers_in_errors`]).

mod webhook;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::http::{Handler, SimRequest, SimResponse, SimServer};
use crate::inbound::signature::ChannelSecret;
use crate::secret::Secret;

/// The channel secret [`FakeLine::start`] signs deliveries with.
pub const DEFAULT_SECRET: &str = "fake-line-channel-secret-0123456";

/// An answer queued for the next push or multicast request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushFault {
    /// `500 Internal Server Error` (retry with the same key).
    ServerError,
    /// `429` "The API rate limit has been exceeded" (back off, retry).
    RateLimited,
    /// `429` "You have reached your monthly limit." (stop until it resets).
    MonthlyLimit,
    /// `400` with a validation message (never retry).
    BadRequest,
    /// The push is accepted and counted, but the answer is lost: `504` (a
    /// timeout on the way back). A retry with the same key then gets `409`.
    AcceptedAnswerLost,
}

impl PushFault {
    fn response(self) -> SimResponse {
        match self {
            PushFault::ServerError => {
                SimResponse::json(500, &json!({"message": "Internal server error"}))
            }
            PushFault::RateLimited => SimResponse::json(
                429,
                &json!({"message": "The API rate limit has been exceeded. Try again later."}),
            ),
            PushFault::MonthlyLimit => SimResponse::json(
                429,
                &json!({"message": "You have reached your monthly limit."}),
            ),
            PushFault::AcceptedAnswerLost => {
                SimResponse::json(504, &json!({"message": "Gateway timeout"}))
            }
            PushFault::BadRequest => SimResponse::json(
                400,
                &json!({"message": "The request body has 1 error(s)",
                        "details": [{"message": "invalid", "property": "messages[0]"}]}),
            ),
        }
    }
}

/// One accepted push or multicast.
#[derive(Debug, Clone)]
pub struct Push {
    pub endpoint: &'static str,
    pub retry_key: String,
    pub body: Value,
    /// Messages counted against the quota: one per recipient.
    pub counted: u64,
    /// When LINE accepted it.
    pub at: Instant,
}

#[derive(Debug)]
pub struct LineState {
    /// Reply tokens LINE has issued and not yet seen used, with their issue time.
    issued: HashMap<String, Instant>,
    reply_ttl: Duration,
    next_token: u64,
    next_event: u64,
    pub replies: Vec<Value>,
    pub pushes: Vec<Push>,
    push_faults: VecDeque<PushFault>,
    /// Monthly limit in messages (`None`: unlimited, quota type `none`).
    pub monthly_limit: Option<u64>,
    pub usage: u64,
    pub requests: Vec<SimRequest>,
    /// The one channel access token accepted (`None`: any bearer token).
    access_token: Option<String>,
    /// How long every request takes to answer.
    delay: Duration,
    /// Requests being answered now, and the most seen at once.
    pub in_flight: usize,
    pub max_in_flight: usize,
    /// Answer every error with a plain-text page that echoes the request's
    /// headers.
    echo_headers: bool,
    /// The channel's webhook URL (empty: none) and "Use webhook".
    webhook_endpoint: String,
    webhook_active: bool,
}

impl Default for LineState {
    fn default() -> Self {
        LineState {
            issued: HashMap::new(),
            reply_ttl: Duration::from_secs(30),
            next_token: 0,
            next_event: 0,
            replies: Vec::new(),
            pushes: Vec::new(),
            push_faults: VecDeque::new(),
            monthly_limit: None,
            usage: 0,
            requests: Vec::new(),
            access_token: None,
            delay: Duration::ZERO,
            in_flight: 0,
            max_in_flight: 0,
            echo_headers: false,
            webhook_endpoint: String::new(),
            webhook_active: false,
        }
    }
}

/// The fake LINE platform.
pub struct FakeLine {
    pub server: SimServer,
    pub state: Arc<Mutex<LineState>>,
    secret: Mutex<ChannelSecret>,
    http: reqwest::Client,
}

impl FakeLine {
    /// Starts with [`DEFAULT_SECRET`] as the channel secret.
    ///
    /// # Errors
    /// The loopback listener cannot be bound.
    pub async fn start() -> std::io::Result<FakeLine> {
        Self::start_with_secret(DEFAULT_SECRET).await
    }

    /// Starts a fake whose webhook deliveries are signed with `secret`.
    ///
    /// # Errors
    /// The loopback listener cannot be bound.
    pub async fn start_with_secret(secret: &str) -> std::io::Result<FakeLine> {
        let state: Arc<Mutex<LineState>> = Arc::default();
        let s = state.clone();
        let secret = ChannelSecret::new(Secret::new(secret));
        let http =
            crate::outbound::client(Duration::from_secs(10)).map_err(std::io::Error::other)?;
        let (tester, test_secret) = (http.clone(), secret.clone());
        let handler: Handler = Arc::new(move |req: SimRequest| {
            let s = s.clone();
            let (tester, test_secret) = (tester.clone(), test_secret.clone());
            Box::pin(async move {
                let delay = {
                    let mut st = lock(&s);
                    st.in_flight += 1;
                    st.max_in_flight = st.max_in_flight.max(st.in_flight);
                    st.delay
                };
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                if req.path == webhook::TEST {
                    // Sends a webhook of its own: answered outside the lock.
                    let target = {
                        let mut st = lock(&s);
                        st.in_flight -= 1;
                        st.requests.push(req.clone());
                        authorised(&st, &req).then(|| webhook::test_target(&st, &req))
                    };
                    return match target {
                        Some(url) => webhook::test(&tester, &test_secret, &url).await,
                        None => unauthorized(),
                    };
                }
                let mut st = lock(&s);
                st.in_flight -= 1;
                let echo = st.echo_headers.then(|| req.headers_echo());
                let response = handle(&mut st, req);
                match echo {
                    Some(headers) if response.status.as_u16() >= 400 => SimResponse::text(
                        response.status.as_u16(),
                        format!("Error {}. Your request: {headers}", response.status),
                    ),
                    _ => response,
                }
            })
        });
        Ok(FakeLine {
            server: SimServer::start(handler).await?,
            state,
            secret: Mutex::new(secret),
            http,
        })
    }

    fn lock(&self) -> MutexGuard<'_, LineState> {
        lock(&self.state)
    }

    /// Issues a new channel secret, as the LINE console's "Issue" button
    /// does: every delivery from now on is signed with `secret`.
    pub fn reissue_secret(&self, secret: &str) {
        *lock(&self.secret) = ChannelSecret::new(Secret::new(secret));
    }

    /// Issues a fresh reply token, valid for the reply TTL (30 s by default).
    #[expect(
        clippy::disallowed_methods,
        reason = "a token expires in real time, as LINE's do"
    )]
    pub fn reply_token(&self) -> String {
        let mut st = self.lock();
        st.next_token += 1;
        let token = format!("{:032x}", 0x5eed_0000_u64 + st.next_token);
        st.issued.insert(token.clone(), Instant::now());
        token
    }

    /// LINE no longer takes `token`, as if it had been issued longer ago
    /// than the TTL (an event that waited while the board was off).
    pub fn expire_reply_token(&self, token: &str) {
        self.lock().issued.remove(token);
    }

    /// How long issued reply tokens stay valid.
    pub fn set_reply_ttl(&self, ttl: Duration) {
        self.lock().reply_ttl = ttl;
    }

    /// Answers every request only after `delay` (a slow LINE API).
    pub fn delay_requests(&self, delay: Duration) {
        self.lock().delay = delay;
    }

    /// Requests being answered now (held by [`FakeLine::delay_requests`]).
    pub fn in_flight(&self) -> usize {
        self.lock().in_flight
    }

    /// The most requests that were being answered at once.
    pub fn max_in_flight(&self) -> usize {
        self.lock().max_in_flight
    }

    /// Answers the next pushes with these faults, in order.
    pub fn fail_pushes(&self, faults: impl IntoIterator<Item = PushFault>) {
        self.lock().push_faults.extend(faults);
    }

    /// Drops the queued faults: pushes are answered normally again.
    pub fn clear_push_faults(&self) {
        self.lock().push_faults.clear();
    }

    /// Accepts only `token` as the channel access token from now on (LINE
    /// answers any other with 401).
    pub fn require_token(&self, token: &str) {
        self.lock().access_token = Some(token.to_owned());
    }

    /// From now on every error is answered with a plain-text page that
    /// echoes the request's headers, the channel access token among them —
    /// as a proxy in front of LINE might.
    pub fn echo_headers_in_errors(&self) {
        self.lock().echo_headers = true;
    }

    /// Sets the monthly message limit (`None`: unlimited).
    pub fn set_monthly_limit(&self, limit: Option<u64>) {
        self.lock().monthly_limit = limit;
    }

    /// A postback event from `user` carrying `data`, with a fresh reply token
    /// and event id, stamped now.
    pub fn postback_event(&self, user: &str, data: &str) -> Value {
        let token = self.reply_token();
        let id = self.event_id();
        json!({
            "type": "postback", "mode": "active",
            "timestamp": crate::clock::now_ms(),
            "webhookEventId": id,
            "deliveryContext": {"isRedelivery": false},
            "source": {"type": "user", "userId": user},
            "replyToken": token,
            "postback": {"data": data}
        })
    }

    /// A text message event from `user`, with a fresh reply token.
    pub fn text_event(&self, user: &str, text: &str) -> Value {
        let token = self.reply_token();
        let id = self.event_id();
        json!({
            "type": "message", "mode": "active",
            "timestamp": crate::clock::now_ms(),
            "webhookEventId": id,
            "deliveryContext": {"isRedelivery": false},
            "source": {"type": "user", "userId": user},
            "replyToken": token,
            "message": {"type": "text", "id": id, "quoteToken": "q", "text": text}
        })
    }

    /// A `follow` event (the user added the bot as a friend).
    pub fn follow_event(&self, user: &str) -> Value {
        let token = self.reply_token();
        let id = self.event_id();
        json!({
            "type": "follow", "mode": "active",
            "timestamp": crate::clock::now_ms(),
            "webhookEventId": id,
            "deliveryContext": {"isRedelivery": false},
            "source": {"type": "user", "userId": user},
            "replyToken": token,
            "follow": {"isUnblocked": false}
        })
    }

    /// A `join` event (the bot was added to `group`).
    pub fn join_event(&self, group: &str) -> Value {
        let token = self.reply_token();
        let id = self.event_id();
        json!({
            "type": "join", "mode": "active",
            "timestamp": crate::clock::now_ms(),
            "webhookEventId": id,
            "deliveryContext": {"isRedelivery": false},
            "source": {"type": "group", "groupId": group},
            "replyToken": token
        })
    }

    fn event_id(&self) -> String {
        let mut st = self.lock();
        st.next_event += 1;
        format!("01FAKE{:020}", st.next_event)
    }

    /// The webhook body LINE would send for `events`, and its signature.
    pub fn webhook(&self, events: &[Value]) -> (String, String) {
        let body = json!({"destination": "Ufakebot", "events": events}).to_string();
        let signature = lock(&self.secret).sign(body.as_bytes());
        (body, signature)
    }

    /// Delivers `events` to the gateway's webhook URL as LINE does: signed,
    /// JSON. Returns the status and body of the answer.
    ///
    /// # Errors
    /// The gateway could not be reached.
    pub async fn deliver(&self, url: &str, events: &[Value]) -> reqwest::Result<(u16, String)> {
        let (body, signature) = self.webhook(events);
        let resp = self
            .http
            .post(url)
            .header("content-type", "application/json; charset=utf-8")
            .header("x-line-signature", signature)
            .body(body)
            .send()
            .await?;
        let status = resp.status().as_u16();
        Ok((status, resp.text().await?))
    }

    /// Bodies of the replies LINE accepted.
    pub fn replies(&self) -> Vec<Value> {
        self.lock().replies.clone()
    }

    /// How many replies LINE accepted (cheap: nothing is copied).
    pub fn reply_count(&self) -> usize {
        self.lock().replies.len()
    }

    /// Bodies of the pushes and multicasts LINE accepted.
    pub fn pushes(&self) -> Vec<Value> {
        self.lock().pushes.iter().map(|p| p.body.clone()).collect()
    }

    /// Accepted pushes from the `from`-th on (cheap to poll: only the tail
    /// is copied).
    pub fn accepted_from(&self, from: usize) -> Vec<Push> {
        self.lock().pushes.iter().skip(from).cloned().collect()
    }

    /// Every accepted push with its retry key and count.
    pub fn accepted(&self) -> Vec<Push> {
        self.lock().pushes.clone()
    }

    /// Calls to the Reply API, accepted or not.
    pub fn reply_calls(&self) -> usize {
        self.calls("/v2/bot/message/reply")
    }

    /// Requests to one path, accepted or not.
    pub fn calls(&self, path: &str) -> usize {
        self.lock()
            .requests
            .iter()
            .filter(|r| r.path == path)
            .count()
    }

    /// Retry keys of every push or multicast attempt, in order.
    pub fn push_attempt_keys(&self) -> Vec<String> {
        self.lock()
            .requests
            .iter()
            .filter(|r| r.path.starts_with("/v2/bot/message/push") || r.path.ends_with("multicast"))
            .map(|r| r.header("x-line-retry-key").unwrap_or("").to_owned())
            .collect()
    }

    /// Messages counted against the quota this month.
    pub fn usage(&self) -> u64 {
        self.lock().usage
    }
}

fn lock<T>(state: &Mutex<T>) -> MutexGuard<'_, T> {
    // A test that panicked while holding the lock has failed already; the
    // state is still readable for the rest of its report.
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn invalid(message: &str, property: &str) -> SimResponse {
    SimResponse::json(
        400,
        &json!({"message": "The request body has 1 error(s)",
                "details": [{"message": message, "property": property}]}),
    )
}

fn is_line_id(s: &str) -> bool {
    s.len() == 33
        && matches!(s.as_bytes()[0], b'U' | b'C' | b'R')
        && s[1..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The request carries the access token the fake accepts.
fn authorised(st: &LineState, req: &SimRequest) -> bool {
    match (req.header("authorization"), &st.access_token) {
        (Some(a), Some(token)) => a.strip_prefix("Bearer ") == Some(token.as_str()),
        (Some(a), None) => a.starts_with("Bearer "),
        (None, _) => false,
    }
}

fn unauthorized() -> SimResponse {
    SimResponse::json(
        401,
        &json!({"message": "Authentication failed. Confirm that the access token in the authorization header is valid."}),
    )
}

fn handle(st: &mut LineState, req: SimRequest) -> SimResponse {
    st.requests.push(req.clone());
    if !authorised(st, &req) {
        return unauthorized();
    }
    match req.path.as_str() {
        "/v2/bot/message/reply" => reply(st, &req),
        "/v2/bot/message/push" => push(st, &req, "push"),
        "/v2/bot/message/multicast" => push(st, &req, "multicast"),
        "/v2/bot/message/quota" => match st.monthly_limit {
            None => SimResponse::json(200, &json!({"type": "none"})),
            Some(v) => SimResponse::json(200, &json!({"type": "limited", "value": v})),
        },
        "/v2/bot/message/quota/consumption" => {
            SimResponse::json(200, &json!({"totalUsage": st.usage}))
        }
        "/v2/bot/channel/webhook/endpoint" => webhook::endpoint(st),
        "/v2/bot/info" => SimResponse::json(
            200,
            &json!({"userId": "Ufakebot0000000000000000000000000", "basicId": "@fake",
                    "displayName": "Gateway (simulated)", "chatMode": "bot",
                    "markAsReadMode": "manual"}),
        ),
        p if p.starts_with("/v2/bot/profile/") => {
            let id = &p["/v2/bot/profile/".len()..];
            if is_line_id(id) {
                SimResponse::json(200, &json!({"displayName": "Taro Yamada", "userId": id}))
            } else {
                SimResponse::json(404, &json!({"message": "Not found"}))
            }
        }
        p if p.starts_with("/v2/bot/group/") && p.ends_with("/summary") => SimResponse::json(
            200,
            &json!({"groupId": &p["/v2/bot/group/".len()..p.len() - "/summary".len()],
                    "groupName": "Field team", "pictureUrl": ""}),
        ),
        _ => SimResponse::json(404, &json!({"message": "Not found"})),
    }
}

fn reply(st: &mut LineState, req: &SimRequest) -> SimResponse {
    if req.header("x-line-retry-key").is_some() {
        return SimResponse::json(
            400,
            &json!({"message": "The retry key cannot be used with the reply API"}),
        );
    }
    let Some(body) = req.json() else {
        return SimResponse::json(400, &json!({"message": "The request body is not JSON"}));
    };
    let token = body["replyToken"].as_str().unwrap_or("");
    let ttl = st.reply_ttl;
    // Single use: a token leaves `issued` the first time it is presented.
    match st.issued.remove(token) {
        Some(at) if at.elapsed() <= ttl => {}
        _ => return SimResponse::json(400, &json!({"message": "Invalid reply token"})),
    }
    if let Err(r) = check_messages(&body) {
        return r;
    }
    st.replies.push(body);
    SimResponse::json(
        200,
        &json!({"sentMessages": [{"id": "1", "quoteToken": "q"}]}),
    )
}

fn check_messages(body: &Value) -> Result<(), SimResponse> {
    match body["messages"].as_array() {
        Some(m) if (1..=5).contains(&m.len()) => Ok(()),
        _ => Err(invalid("Size must be between 1 and 5", "messages")),
    }
}

#[expect(
    clippy::disallowed_methods,
    reason = "the bench times pushes in real time"
)]
fn push(st: &mut LineState, req: &SimRequest, endpoint: &'static str) -> SimResponse {
    let key = req.header("x-line-retry-key").unwrap_or("").to_owned();
    if uuid::Uuid::parse_str(&key).is_err() {
        return SimResponse::json(
            400,
            &json!({"message": "The value of the X-Line-Retry-Key header is invalid"}),
        );
    }
    if st.pushes.iter().any(|p| p.retry_key == key) {
        return SimResponse::json(
            409,
            &json!({"message": "The retry key is already accepted", "sentMessages": [{"id": "1"}]}),
        )
        .with_header("x-line-accepted-request-id", "req-earlier");
    }
    let fault = st.push_faults.pop_front();
    if let Some(f) = fault.filter(|f| *f != PushFault::AcceptedAnswerLost) {
        return f.response();
    }
    let Some(body) = req.json() else {
        return SimResponse::json(400, &json!({"message": "The request body is not JSON"}));
    };
    if let Err(r) = check_messages(&body) {
        return r;
    }
    let recipients: Vec<&str> = match (endpoint, &body["to"]) {
        ("push", Value::String(to)) => vec![to.as_str()],
        ("multicast", Value::Array(to)) => to.iter().filter_map(Value::as_str).collect(),
        _ => return invalid("Invalid recipient", "to"),
    };
    if recipients.is_empty() || recipients.len() > 500 || !recipients.iter().all(|r| is_line_id(r))
    {
        return invalid("Invalid recipient", "to");
    }
    let counted = recipients.len() as u64;
    if st.monthly_limit.is_some_and(|l| st.usage + counted > l) {
        return PushFault::MonthlyLimit.response();
    }
    st.usage += counted;
    st.pushes.push(Push {
        endpoint,
        retry_key: key,
        body,
        counted,
        at: Instant::now(),
    });
    if let Some(f) = fault {
        return f.response();
    }
    let id = st.pushes.len().to_string();
    SimResponse::json(200, &json!({"sentMessages": [{"id": id}]}))
        .with_header("x-line-request-id", &format!("req-{id}"))
}
