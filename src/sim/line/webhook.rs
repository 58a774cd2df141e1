//! The fake's webhook settings (`GET /v2/bot/channel/webhook/endpoint`) and
//! LINE's webhook test (`POST /v2/bot/channel/webhook/test`): as the real
//! platform does, it sends a signed webhook with no events to the URL and
//! reports the answer (status 0 when none came back).

use serde_json::{json, Value};

use super::{FakeLine, LineState};
use crate::inbound::signature::ChannelSecret;
use crate::sim::http::{SimRequest, SimResponse};

/// The test endpoint's path.
pub(super) const TEST: &str = "/v2/bot/channel/webhook/test";

impl FakeLine {
    /// Sets the channel's webhook URL and "Use webhook" switch (none set
    /// by default, as on a new channel).
    pub fn set_webhook_endpoint(&self, url: &str, active: bool) {
        let mut st = self.lock();
        st.webhook_endpoint = url.to_owned();
        st.webhook_active = active;
    }
}

/// `GET /v2/bot/channel/webhook/endpoint`.
pub(super) fn endpoint(st: &LineState) -> SimResponse {
    SimResponse::json(
        200,
        &json!({"endpoint": st.webhook_endpoint, "active": st.webhook_active}),
    )
}

/// The URL a test request asks for: its body's `endpoint`, else the one set.
pub(super) fn test_target(st: &LineState, req: &SimRequest) -> String {
    req.json()
        .and_then(|b| b.get("endpoint").and_then(Value::as_str).map(str::to_owned))
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| st.webhook_endpoint.clone())
}

/// Sends the test webhook to `url` and answers as LINE does.
pub(super) async fn test(http: &reqwest::Client, secret: &ChannelSecret, url: &str) -> SimResponse {
    let timestamp = crate::clock::now_ms();
    let stamp = jiff::Timestamp::from_millisecond(timestamp)
        .map(|t| t.to_string())
        .unwrap_or_default();
    if url.is_empty() {
        return SimResponse::json(400, &json!({"message": "The webhook URL is not set"}));
    }
    let body = json!({"destination": "Ufakebot", "events": []}).to_string();
    let sent = http
        .post(url)
        .header("content-type", "application/json")
        .header("x-line-signature", secret.sign(body.as_bytes()))
        .body(body)
        .send()
        .await;
    let (success, code, reason, detail) = match sent {
        Ok(r) => {
            let code = i32::from(r.status().as_u16());
            let reason = r.status().canonical_reason().unwrap_or("").to_owned();
            (r.status().is_success(), code, reason, code.to_string())
        }
        Err(e) => (
            false,
            0,
            "COULD_NOT_CONNECT".to_owned(),
            crate::outbound::failure(&e),
        ),
    };
    SimResponse::json(
        200,
        &json!({"success": success, "timestamp": stamp, "statusCode": code,
                "reason": reason, "detail": detail}),
    )
}
