//! The final word to the person who tapped: a Reply while the token is
//! unspent, else — the Reply already spent on "Received — recording…"
//! (kintone was slow, or busy and retried later) — a push.
//!
//! A refusal, a permanent failure or "already acknowledged by …" is always
//! told — by a paid push, since the single-use token is gone — in plain words
//! without kintone's own message or codes. A success may stay silent (`[line]
//! confirm_late_success`). The push is a row in the outbox written in the
//! same transaction that finishes the event, so it is neither lost nor
//! doubled by a crash; the outbox worker sends it with its retry key and
//! counts it against the quota.

use super::respond::{decide, Answer, Decided, PendingReply};
use super::AckContext;
use crate::acknowledge::writeback::WriteBackError;
use crate::domain::{LineUserId, RecordId};
use crate::inbound::reply::ReplyToken;
use crate::line::message::Message;
use crate::store::inbox::InboxRow;
use crate::store::pushes::QueuedPush;
use crate::text::{fill, Catalogue, Language};

/// How the outcome reaches (or does not reach) the person: the audit row's
/// `reply`, the push to queue with the finish (after an interim Reply), and
/// the Reply to send once the finish is stored.
pub(super) struct Told {
    pub reply: String,
    pub push: Option<QueuedPush>,
    pub after: Option<PendingReply>,
}

/// How an event ended, as far as telling the person goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ending {
    /// Recorded: after an interim Reply, told only when configured.
    Success,
    /// Not recorded (kintone refused it, or someone else acknowledged
    /// first): always told; past the reply deadline the configured fallback
    /// may carry it.
    Failure,
    /// Not allowed (a refused tap, a button not ours): always told after an
    /// interim Reply; otherwise never by a fallback push — a refusal is not
    /// worth a paid message unless the person was already told "Received".
    Refusal,
}

/// Whether the Reply was already spent on an interim answer: early in this
/// attempt, or by an attempt before a retry or a restart. A final answer
/// then cannot be a Reply.
fn interim_sent(early: &Answer, token: Option<&ReplyToken>, row: &InboxRow) -> bool {
    *early != Answer::Nothing || (token.is_none() && row.reply_attempted)
}

/// Tells `user` the outcome `text` after an interim Reply, if it is worth
/// a push: always for a refusal or failure, for a success only when
/// configured.
fn late(
    ctx: &AckContext,
    early: &Answer,
    user: Option<&LineUserId>,
    ending: Ending,
    text: String,
) -> Told {
    let first = match early {
        // Spent before this attempt, or by this one's early Reply.
        Answer::Nothing | Answer::Replied => "replied-early".to_owned(),
        other => other.audit(),
    };
    if ending == Ending::Success && !ctx.config.line.confirm_late_success {
        return Told {
            reply: format!("{first}; outcome not pushed (confirm_late_success = false)"),
            push: None,
            after: None,
        };
    }
    let Some(user) = user else {
        tracing::warn!("cannot tell the outcome: LINE did not say who tapped");
        return Told {
            reply: format!("{first}; outcome not pushed (no LINE user)"),
            push: None,
            after: None,
        };
    };
    let messages = match serde_json::to_string(&[Message::text(text)]) {
        Ok(m) => m,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the outcome push");
            return Told {
                reply: format!("{first}; outcome not pushed ({e})"),
                push: None,
                after: None,
            };
        }
    };
    Told {
        reply: format!("{first}; outcome pushed"),
        push: Some(QueuedPush {
            recipient: user.as_str().to_owned(),
            messages,
        }),
        after: None,
    }
}

/// The person's answer when kintone refused the acknowledgement: the record
/// and a reason they can act on — never kintone's own message or codes,
/// which may name internals (the log and the audit row keep those).
pub(super) fn refused_text(language: Language, record: RecordId, e: &WriteBackError) -> String {
    let texts = language.catalogue();
    let record = record.to_string();
    let reason = reason(texts, e);
    fill(
        texts.write_refused,
        &[("record", &record), ("reason", reason)],
    )
}

fn reason(texts: &Catalogue, e: &WriteBackError) -> &'static str {
    use crate::kintone::error::KintoneError as K;
    match e {
        WriteBackError::Kintone(K::Unauthorized { .. }) => texts.reason_unauthorized,
        WriteBackError::Kintone(K::NotFound { .. }) => texts.reason_not_found,
        WriteBackError::Kintone(K::Rejected { .. }) => texts.reason_rejected,
        _ => texts.reason_other,
    }
}

/// The last word to the person: a Reply while the token is unspent (sent
/// once the finish is stored: [`Told::after`]); after an interim Reply —
/// early in this attempt (`early`), or by an attempt before a retry or a
/// restart — a queued push (see [`late`]). Every final answer goes through
/// here, so none is lost to a spent token.
pub(super) async fn last_word(
    ctx: &AckContext,
    row: &InboxRow,
    token: Option<ReplyToken>,
    early: &Answer,
    user: Option<&LineUserId>,
    ending: Ending,
    text: String,
) -> Told {
    if interim_sent(early, token.as_ref(), row) {
        return late(ctx, early, user, ending, text);
    }
    let fallback_to = user.filter(|_| ending != Ending::Refusal);
    match decide(ctx, token, fallback_to, text).await {
        Decided::Now(answered) => Told {
            reply: answered.audit(),
            push: None,
            after: None,
        },
        // Audited as it nearly always goes; [`super::dispatch`] corrects
        // the row if it does not.
        Decided::Reply(pending) => Told {
            reply: Answer::Replied.audit(),
            push: None,
            after: Some(pending),
        },
    }
}

/// [`last_word`] for an answer given before any write-back in this
/// attempt: only an earlier attempt can have spent the Reply.
pub(super) async fn first_word(
    ctx: &AckContext,
    row: &InboxRow,
    token: Option<ReplyToken>,
    user: Option<&LineUserId>,
    ending: Ending,
    text: String,
) -> Told {
    last_word(ctx, row, token, &Answer::Nothing, user, ending, text).await
}

/// The notice to a notification's other recipients that `name` (on `tap`)
/// acknowledged it; `None` if it cannot be built (logged).
pub(super) fn others_notice(
    language: Language,
    tap: &super::postback::Tap<'_>,
    name: &str,
    n: &crate::store::notifications::NotificationState,
) -> Option<crate::store::pushes::OthersNotice> {
    let record = tap.ack.record.to_string();
    let text = fill(
        language.catalogue().told_others,
        &[("name", name), ("record", &record), ("title", &n.title)],
    );
    match serde_json::to_string(&[Message::text(text)]) {
        Ok(messages) => Some(crate::store::pushes::OthersNotice {
            notification: n.id.clone(),
            except: tap.user.map(|u| u.as_str().to_owned()),
            messages,
        }),
        Err(e) => {
            tracing::error!(error = %e, "cannot build the notice to the other recipients");
            None
        }
    }
}
