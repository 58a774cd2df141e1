//! Webhook events, parsed from a verified body.
//!
//! Rules kept here: only a [`VerifiedWebhook`] (or an event the inbox stored
//! after verifying it, through [`super::reply::ReplyIssuer`]) is parsed; unknown event types become
//! [`EventKind::Other`] and are ignored, never an error (LINE adds new ones);
//! `mode: standby` events never carry a [`ReplyToken`], so they cannot be
//! answered.

use serde::Deserialize;
use serde_json::Value;

use super::reply::{Receipt, ReplyToken};
use super::signature::VerifiedWebhook;
use crate::domain::{LineGroupId, LineRoomId, LineUserId};
use crate::secret::Secret;
use crate::store::inbox::{slim, EventEnvelope};

/// A webhook body split into events, each kept as JSON for the inbox.
#[derive(Debug)]
pub struct WebhookBatch {
    pub destination: String,
    pub events: Vec<EventEnvelope>,
}

/// The body was signed but is not a webhook we can read.
#[derive(Debug, thiserror::Error)]
#[error("malformed webhook body: {0}")]
pub struct Malformed(pub String);

#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    destination: String,
    events: Vec<Value>,
}

impl VerifiedWebhook {
    /// Splits the body into events.
    ///
    /// # Errors
    /// [`Malformed`] when the body is not JSON, has no `events` array, or an
    /// event lacks `webhookEventId`, `type` or `timestamp`.
    pub fn into_batch(self) -> Result<WebhookBatch, Malformed> {
        let body: Body =
            serde_json::from_slice(self.body()).map_err(|e| Malformed(e.to_string()))?;
        let events = body
            .events
            .into_iter()
            .enumerate()
            .map(|(i, ev)| envelope(ev).map_err(|m| Malformed(format!("events[{i}]: {m}"))))
            .collect::<Result<_, _>>()?;
        Ok(WebhookBatch {
            destination: body.destination,
            events,
        })
    }
}

/// An event as the inbox stores it: its reply token apart from its JSON.
fn envelope(mut ev: Value) -> Result<EventEnvelope, String> {
    let Header {
        id,
        timestamp_ms,
        redelivery,
        kind,
    } = header(&ev)?;
    let reply_token = slim(&mut ev);
    Ok(EventEnvelope {
        id,
        timestamp_ms,
        redelivery,
        kind,
        json: ev.to_string(),
        reply_token,
    })
}

/// What every event carries.
struct Header {
    id: String,
    timestamp_ms: i64,
    redelivery: bool,
    kind: String,
}

fn header(ev: &Value) -> Result<Header, String> {
    let id = ev
        .get("webhookEventId")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && s.len() <= 64)
        .ok_or("missing webhookEventId")?;
    let kind = ev
        .get("type")
        .and_then(Value::as_str)
        .ok_or("missing type")?;
    let timestamp_ms = ev
        .get("timestamp")
        .and_then(Value::as_i64)
        .ok_or("missing timestamp")?;
    let redelivery = ev
        .pointer("/deliveryContext/isRedelivery")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Ok(Header {
        id: id.to_owned(),
        timestamp_ms,
        redelivery,
        kind: kind.to_owned(),
    })
}

/// Who an event came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    User(LineUserId),
    Group {
        group: LineGroupId,
        user: Option<LineUserId>,
    },
    Room {
        room: LineRoomId,
        user: Option<LineUserId>,
    },
    /// A source shape we do not know; such events are ignored.
    Unknown,
}

impl Source {
    /// The user who acted, when LINE tells us.
    pub fn user(&self) -> Option<&LineUserId> {
        match self {
            Source::User(u) => Some(u),
            Source::Group { user, .. } | Source::Room { user, .. } => user.as_ref(),
            Source::Unknown => None,
        }
    }
}

/// What happened, with the reply token where LINE gave one (active mode only).
#[derive(Debug)]
pub enum EventKind {
    Postback {
        data: String,
        reply: Option<ReplyToken>,
    },
    /// A text message (other message types carry `text: None`).
    Message {
        text: Option<String>,
        reply: Option<ReplyToken>,
    },
    Follow {
        reply: Option<ReplyToken>,
    },
    Unfollow,
    Join {
        reply: Option<ReplyToken>,
    },
    Leave,
    /// Any other type: ignored.
    Other(String),
}

/// A parsed event, ready for the acknowledgement worker.
#[derive(Debug)]
pub struct InboundEvent {
    pub id: String,
    pub timestamp_ms: i64,
    pub redelivery: bool,
    pub standby: bool,
    pub source: Source,
    pub kind: EventKind,
}

/// Parses one event the inbox stored after verification, with the reply
/// token stored beside it (`stored_token`; an event stored by an older
/// gateway has it in its JSON), received as `receipt` says (its reply window
/// counts from there; see [`ReplyToken`]). Only
/// [`super::reply::ReplyIssuer`] calls it: whoever parses an event holds its
/// reply token.
///
/// # Errors
/// [`Malformed`] when `ev` is not an event.
pub(in crate::inbound) fn parse_event(
    ev: &Value,
    stored_token: Option<&Secret>,
    receipt: Receipt,
) -> Result<InboundEvent, Malformed> {
    let env = header(ev).map_err(Malformed)?;
    let standby = ev.get("mode").and_then(Value::as_str) == Some("standby");
    let redelivery = env.redelivery;
    // Standby events must never be answered: drop any token they carry.
    let reply = || -> Option<ReplyToken> {
        if standby {
            return None;
        }
        let token = stored_token
            .map(Secret::expose)
            .or_else(|| ev.get("replyToken").and_then(Value::as_str))?;
        ReplyToken::issue(token, env.timestamp_ms, redelivery, receipt)
    };
    let kind = match env.kind.as_str() {
        "postback" => EventKind::Postback {
            data: ev
                .pointer("/postback/data")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            reply: reply(),
        },
        "message" => EventKind::Message {
            text: (ev.pointer("/message/type").and_then(Value::as_str) == Some("text"))
                .then(|| ev.pointer("/message/text").and_then(Value::as_str))
                .flatten()
                .map(str::to_owned),
            reply: reply(),
        },
        "follow" => EventKind::Follow { reply: reply() },
        "unfollow" => EventKind::Unfollow,
        "join" => EventKind::Join { reply: reply() },
        "leave" => EventKind::Leave,
        other => EventKind::Other(other.to_owned()),
    };
    Ok(InboundEvent {
        id: env.id,
        timestamp_ms: env.timestamp_ms,
        redelivery,
        standby,
        source: parse_source(ev.get("source")),
        kind,
    })
}

fn parse_source(src: Option<&Value>) -> Source {
    let Some(src) = src else {
        return Source::Unknown;
    };
    let field = |k: &str| src.get(k).and_then(Value::as_str);
    let user = field("userId").and_then(|u| LineUserId::parse(u).ok());
    match field("type") {
        Some("user") => user.map_or(Source::Unknown, Source::User),
        Some("group") => field("groupId")
            .and_then(|g| LineGroupId::parse(g).ok())
            .map_or(Source::Unknown, |group| Source::Group { group, user }),
        Some("room") => field("roomId")
            .and_then(|r| LineRoomId::parse(r).ok())
            .map_or(Source::Unknown, |room| Source::Room { room, user }),
        _ => Source::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inbound::signature::{ChannelSecret, RawWebhook};
    use crate::secret::Secret;

    const USER: &str = "U4af4980629aaaaaaaaaaaaaaaaaaaaaa";

    fn at(received_ms: i64) -> Receipt {
        Receipt {
            received_ms,
            line_offset_ms: Some(0),
        }
    }

    fn verified(body: &str) -> VerifiedWebhook {
        let secret = ChannelSecret::new(Secret::new("s"));
        RawWebhook {
            body: bytes::Bytes::copy_from_slice(body.as_bytes()),
            signature: Some(secret.sign(body.as_bytes())),
        }
        .verify(&secret)
        .unwrap()
    }

    fn postback(mode: &str) -> String {
        format!(
            r#"{{"type":"postback","mode":"{mode}","timestamp":1700000000000,"webhookEventId":"01H","deliveryContext":{{"isRedelivery":true}},"source":{{"type":"user","userId":"{USER}"}},"replyToken":"tok","postback":{{"data":"ack:v1::1:2:x"}}}}"#
        )
    }

    fn literal(json: &str) -> Value {
        serde_json::from_str(json).unwrap()
    }

    /// The event as the inbox gives it back.
    fn stored(e: &EventEnvelope) -> Value {
        crate::store::inbox::unslim(&e.json, &e.id, &e.kind, e.timestamp_ms).unwrap()
    }

    #[test]
    fn the_stored_json_leaves_out_what_the_columns_and_the_defaults_say() {
        let first = r#"{"type":"postback","mode":"active","timestamp":1700000000000,"webhookEventId":"01H","deliveryContext":{"isRedelivery":false},"source":{"type":"user","userId":"U4af4980629aaaaaaaaaaaaaaaaaaaaaa"},"replyToken":"tok","postback":{"data":"ack:v1::1:2:x"}}"#;
        let body = format!(
            r#"{{"destination":"Ux","events":[{first},{}]}}"#,
            postback("standby")
        );
        let batch = verified(&body).into_batch().unwrap();
        let slim: Value = serde_json::from_str(&batch.events[0].json).unwrap();
        assert_eq!(
            slim,
            serde_json::json!({
                "source": {"type": "user", "userId": USER},
                "postback": {"data": "ack:v1::1:2:x"},
            })
        );
        let active = parse_event(&stored(&batch.events[0]), None, at(1)).unwrap();
        assert_eq!(
            (active.id.as_str(), active.timestamp_ms),
            ("01H", 1_700_000_000_000)
        );
        assert!(!active.redelivery && !active.standby);
        assert!(
            matches!(active.kind, EventKind::Postback { ref data, .. } if data == "ack:v1::1:2:x")
        );
        // What is not the default stays: a redelivery, standby.
        let kept = parse_event(&stored(&batch.events[1]), None, at(1)).unwrap();
        assert!(kept.redelivery && kept.standby);
        // An event stored whole (before the slimming) reads the same.
        let whole = literal(first);
        let old = parse_event(&whole, None, at(1)).unwrap();
        assert_eq!((old.id, old.timestamp_ms), (active.id, active.timestamp_ms));
    }

    #[test]
    fn splits_batch_and_keeps_unknown_types() {
        let body = format!(
            r#"{{"destination":"Ux","events":[{},{{"type":"brandNewThing","timestamp":1,"webhookEventId":"02"}}]}}"#,
            postback("active")
        );
        let batch = verified(&body).into_batch().unwrap();
        assert_eq!(batch.events.len(), 2);
        assert_eq!(batch.events[1].kind, "brandNewThing");
        let other = parse_event(&stored(&batch.events[1]), None, at(5)).unwrap();
        assert!(matches!(other.kind, EventKind::Other(ref t) if t == "brandNewThing"));
    }

    #[test]
    fn the_reply_token_is_kept_apart_from_the_stored_json() {
        let body = format!(
            r#"{{"destination":"Ux","events":[{}]}}"#,
            postback("active")
        );
        let batch = verified(&body).into_batch().unwrap();
        let stored = &batch.events[0];
        assert!(!stored.json.contains("tok"), "{}", stored.json);
        assert_eq!(stored.reply_token.as_ref().map(Secret::expose), Some("tok"));
        assert!(!format!("{stored:?}").contains("\"tok\""));
        let with = parse_event(&self::stored(stored), stored.reply_token.as_ref(), at(1)).unwrap();
        assert!(matches!(
            with.kind,
            EventKind::Postback { reply: Some(_), .. }
        ));
        let without = parse_event(&self::stored(stored), None, at(1)).unwrap();
        assert!(matches!(
            without.kind,
            EventKind::Postback { reply: None, .. }
        ));
    }

    #[test]
    fn empty_events_is_a_valid_batch() {
        let batch = verified(r#"{"destination":"U1","events":[]}"#)
            .into_batch()
            .unwrap();
        assert!(batch.events.is_empty());
    }

    #[test]
    fn malformed_bodies_are_errors() {
        assert!(verified("{not json").into_batch().is_err());
        assert!(verified(r#"{"events":{}}"#).into_batch().is_err());
        assert!(verified(r#"{"events":[{"type":"postback"}]}"#)
            .into_batch()
            .is_err());
    }

    #[test]
    fn postback_carries_token_and_source() {
        let ev = parse_event(&literal(&postback("active")), None, at(1_700_000_000_500)).unwrap();
        assert!(ev.redelivery);
        assert_eq!(ev.source.user().map(LineUserId::as_str), Some(USER));
        match ev.kind {
            EventKind::Postback { data, reply } => {
                assert_eq!(data, "ack:v1::1:2:x");
                let token = reply.unwrap();
                // A redelivery's window counts from its arrival.
                assert_eq!(token.started_at_ms(), 1_700_000_000_500);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn standby_events_have_no_reply_token() {
        let ev = parse_event(&literal(&postback("standby")), None, at(0)).unwrap();
        assert!(ev.standby);
        assert!(matches!(ev.kind, EventKind::Postback { reply: None, .. }));
    }
}
