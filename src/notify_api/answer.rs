//! Answers in LINE Notify's exact shape, byte for byte:
//! `{"status":200,"message":"ok"}` — `status` first, as LINE Notify wrote
//! it (a JSON map would sort the keys) — and its `X-RateLimit-*` headers.

use hyper::StatusCode;

use super::limit::Allowance;
use crate::http::Reply;

/// `{"status":N,"message":"…"}` with extra members after them.
fn body(status: StatusCode, message: &str, extra: &[(&str, &str)]) -> Reply {
    let quoted = |s: &str| serde_json::Value::from(s).to_string();
    let mut text = format!(
        "{{\"status\":{},\"message\":{}",
        status.as_u16(),
        quoted(message)
    );
    for (k, v) in extra {
        text.push_str(&format!(",{}:{}", quoted(k), quoted(v)));
    }
    text.push('}');
    Reply {
        status,
        body: text,
        headers: Vec::new(),
    }
}

/// 200 `ok`.
pub fn ok() -> Reply {
    body(StatusCode::OK, "ok", &[])
}

/// `GET /api/status`: the token's target.
pub fn status(target_type: &str, target: &str) -> Reply {
    body(
        StatusCode::OK,
        "ok",
        &[("targetType", target_type), ("target", target)],
    )
}

/// 400 with LINE Notify's (or our) reason.
pub fn bad_request(message: &str) -> Reply {
    body(StatusCode::BAD_REQUEST, message, &[])
}

/// 401, as LINE Notify answered a missing or wrong token.
pub fn invalid_token() -> Reply {
    body(StatusCode::UNAUTHORIZED, "Invalid access token", &[])
}

/// 429 once the hour's allowance is used.
pub fn too_many() -> Reply {
    body(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests", &[])
}

/// 500 when the message could not be stored.
pub fn failed() -> Reply {
    body(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Failed to send messages",
        &[],
    )
}

/// `reply` with the token's rate-limit headers.
pub fn with_limits(reply: Reply, a: Allowance) -> Reply {
    reply
        .with_header("x-ratelimit-limit", a.limit.to_string())
        .with_header("x-ratelimit-remaining", a.remaining.to_string())
        .with_header("x-ratelimit-reset", a.reset_s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_line_notifys_bytes() {
        assert_eq!(ok().body, r#"{"status":200,"message":"ok"}"#);
        assert_eq!(
            invalid_token().body,
            r#"{"status":401,"message":"Invalid access token"}"#
        );
        assert_eq!(
            bad_request("message: must not be empty").body,
            r#"{"status":400,"message":"message: must not be empty"}"#
        );
        assert_eq!(
            status("GROUP", "監視").body,
            r#"{"status":200,"message":"ok","targetType":"GROUP","target":"監視"}"#
        );
    }
}
