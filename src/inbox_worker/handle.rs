//! One inbox event, start to finish.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::respond::{answer, Answer};
use super::tell::{self, Ending};
use super::{onboarding, permit, AckContext};
use crate::acknowledge::vars::template_times;
use crate::acknowledge::writeback::{write_back, Services, WriteBackError, Written};
use crate::acknowledge::AckEvent;
use crate::clock::now_ms;
use crate::config::AppConfig;
use crate::domain::LineUserId;
use crate::inbound::events::{EventKind, InboundEvent, Malformed, Source};
use crate::inbound::reply::{Receipt, ReplyToken};
use crate::postback::{AckData, PostbackError};
use crate::retry::default_backoff;
use crate::store::audit::{AckLookups, AckRecord};
use crate::store::inbox::{Finish, InboxRow};
use crate::store::notifications::NotificationState;
use crate::store::pushes::QueuedPush;

/// Replies go out early ("Received — recording…") when the write-back is
/// still running this long before the deadline.
const EARLY_REPLY_MARGIN: Duration = Duration::from_secs(5);

/// A due event, parsed, with what its handling reads from the store.
pub(super) struct Prepared {
    row: InboxRow,
    event: Result<InboundEvent, Malformed>,
    /// `None` when the batch read failed: the event reads for itself.
    known: Option<Known>,
}

impl Prepared {
    pub(super) fn seq(&self) -> i64 {
        self.row.seq
    }
}

/// A postback's tapping person and the notification it answers, as the
/// store had them when the batch was read.
struct Known {
    /// `None`: not in the directory and no fresh profile — ask LINE.
    name: Option<(String, Option<String>)>,
    /// The tapping person is linked staff.
    is_staff: bool,
    notification: Option<NotificationState>,
    /// Whom the notification was sent to (LINE user and group ids).
    recipients: Vec<String>,
}

impl Known {
    /// What `found` holds for one event's user and notification.
    fn from(found: &AckLookups, user: Option<String>, notification: Option<String>) -> Known {
        Known {
            name: user.as_ref().and_then(|u| found.names.get(u).cloned()),
            is_staff: user.is_some_and(|u| found.staff.contains(&u)),
            recipients: notification
                .as_ref()
                .and_then(|n| found.recipients.get(n).cloned())
                .unwrap_or_default(),
            notification: notification.and_then(|n| found.notifications.get(&n).cloned()),
        }
    }
}

/// The user and notification a postback event names, if it is one of ours.
fn postback_keys(ev: &InboundEvent) -> Option<(Option<String>, Option<String>)> {
    match &ev.kind {
        EventKind::Postback { data, .. } => Some((
            ev.source.user().map(|u| u.as_str().to_owned()),
            AckData::parse(data)
                .ok()
                .map(|a| a.notification.to_string()),
        )),
        _ => None,
    }
}

/// Parses a batch of due events and reads what their handling needs in one
/// round trip to the store, rather than two per event.
pub(super) async fn prepare(ctx: &AckContext, rows: Vec<InboxRow>) -> Vec<Prepared> {
    let line_offset_ms = ctx.clock.line_offset_ms();
    let now = ctx.clock.steady_ms();
    let events: Vec<_> = rows
        .iter()
        .map(|r| {
            // A receipt time ahead of now was stored by a run whose steady
            // timeline was ahead (the clock set back between runs): counting
            // from it would keep a stale token "valid" past the deadline.
            let receipt = Receipt {
                received_ms: r.received_ms.min(now),
                line_offset_ms,
            };
            ctx.replies.parse_event(&r.json, receipt)
        })
        .collect();
    let keys: Vec<_> = events
        .iter()
        .map(|e| e.as_ref().ok().and_then(postback_keys))
        .collect();
    let (mut users, mut notifications) = (Vec::new(), Vec::new());
    for (user, notification) in keys.iter().flatten() {
        users.extend(user.clone());
        notifications.extend(notification.clone());
    }
    let found = if users.is_empty() && notifications.is_empty() {
        None
    } else {
        let fresh_after = now_ms() - onboarding::PROFILE_TTL_MS;
        match ctx
            .store
            .ack_lookups(users, fresh_after, notifications)
            .await
        {
            Ok(found) => Some(found),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read names and notifications for a batch; each event reads its own");
                None
            }
        }
    };
    rows.into_iter()
        .zip(events)
        .zip(keys)
        .map(|((row, event), keys)| {
            let known = found
                .as_ref()
                .zip(keys)
                .map(|(found, (user, notification))| Known::from(found, user, notification));
            Prepared { row, event, known }
        })
        .collect()
}

pub(super) async fn process(ctx: &AckContext, prepared: Prepared) {
    let Prepared { row, event, known } = prepared;
    let row = &row;
    let ev = match event {
        Ok(ev) => ev,
        Err(e) => {
            tracing::warn!(event = %row.event_id, error = %e, "stored event does not parse; dropped");
            finish(ctx, row, Finish::Failed, Some(e.to_string()), None).await;
            return;
        }
    };
    let InboundEvent {
        kind,
        source,
        standby,
        ..
    } = ev;
    // A token whose use was already attempted (before a restart) is spent.
    let fresh = |t: Option<ReplyToken>| t.filter(|_| !row.reply_attempted);
    match kind {
        // Another channel is answering this chat: whatever the event, it is
        // only kept (deduplicated) — no write-back, no Reply, no push, no
        // onboarding. Two channels on one chat must not acknowledge twice.
        _ if standby => finish(ctx, row, Finish::Done, None, None).await,
        EventKind::Postback { data, reply } => {
            postback(ctx, row, &source, &data, fresh(reply), known).await;
        }
        EventKind::Message { text, reply } => {
            onboarding::message(ctx, row, source.user(), text.as_deref(), fresh(reply)).await;
            finish(ctx, row, Finish::Done, None, None).await;
        }
        EventKind::Follow { reply } => {
            onboarding::follow(ctx, row, source.user(), fresh(reply)).await;
            finish(ctx, row, Finish::Done, None, None).await;
        }
        EventKind::Join { reply } => {
            onboarding::join(ctx, row, &source, fresh(reply)).await;
            finish(ctx, row, Finish::Done, None, None).await;
        }
        EventKind::Leave => {
            onboarding::leave(ctx, &source).await;
            finish(ctx, row, Finish::Done, None, None).await;
        }
        EventKind::Unfollow | EventKind::Other(_) => {
            finish(ctx, row, Finish::Done, None, None).await
        }
    }
}

async fn finish(
    ctx: &AckContext,
    row: &InboxRow,
    how: Finish,
    err: Option<String>,
    audit: Option<AckRecord>,
) {
    finish_telling(ctx, row, how, err, audit, None).await;
}

/// Finishes the event and, in the same transaction, queues the push that
/// tells the person its outcome.
async fn finish_telling(
    ctx: &AckContext,
    row: &InboxRow,
    how: Finish,
    err: Option<String>,
    audit: Option<AckRecord>,
    tell: Option<QueuedPush>,
) {
    let pushed = tell.is_some();
    match ctx
        .store
        .inbox_finish(row.seq, how, err, audit, tell, now_ms())
        .await
    {
        Ok(()) if pushed => {
            ctx.metrics.ack_late_pushes.fetch_add(1, Ordering::Relaxed);
            ctx.outbox_wake.notify_one();
        }
        Ok(()) => {}
        Err(e) => {
            tracing::error!(event = %row.event_id, error = %e, "could not record the event's end; it will be resumed");
        }
    }
}

/// The app's credentials as the kintone client takes them.
async fn postback(
    ctx: &AckContext,
    row: &InboxRow,
    source: &Source,
    data: &str,
    token: Option<ReplyToken>,
    known: Option<Known>,
) {
    let user = source.user();
    let ack = match AckData::parse(data) {
        Ok(a) => a,
        Err(e) => {
            let text = match e {
                PostbackError::Foreign => "Sorry, I don't know that button.".to_owned(),
                PostbackError::Damaged(_) => {
                    "Sorry, that button's data is damaged; please use the newest notification."
                        .to_owned()
                }
            };
            tracing::warn!(event = %row.event_id, error = %e, "postback not ours");
            let told = first_word(ctx, row, token, user, Ending::Refusal, text).await;
            let err = Some(e.to_string());
            return finish_telling(ctx, row, Finish::Done, err, None, told.push).await;
        }
    };
    if ack.site != ctx.config.site {
        tracing::info!(event = %row.event_id, site = ack.site.as_str(), "postback for another site; ignored");
        return finish(ctx, row, Finish::Done, None, None).await;
    }
    let Some(app) = ctx.config.app(ack.app) else {
        let text = format!("App {} is not connected to this gateway.", ack.app);
        let told = first_word(ctx, row, token, user, Ending::Refusal, text).await;
        let err = Some(format!("app {} not configured", ack.app));
        return finish_telling(ctx, row, Finish::Failed, err, None, told.push).await;
    };
    let mut known = match known {
        Some(k) => k,
        None => match read_known(ctx, user, &ack).await {
            Ok(k) => k,
            Err(e) => return retry_later(ctx, row, &e.to_string()).await,
        },
    };
    let facts = permit::Facts {
        notification: known.notification.as_ref(),
        recipients: &known.recipients,
        is_staff: known.is_staff,
    };
    let rule_ack_by = |rule: &str| ctx.ack_by.get(rule).copied().unwrap_or_default();
    let notification = match permit::check(&ack, source, &facts, rule_ack_by) {
        Ok(n) => n.clone(),
        Err(why) => return refuse(ctx, row, user, app, &ack, known, why, token).await,
    };
    let (name, kintone_user) = match known.name.take() {
        Some(found) => found,
        None => onboarding::who(ctx, user).await,
    };
    if notification.acked_ms.is_some() {
        let by = notification.acked_by.clone().unwrap_or_default();
        let text = format!("#{} was already acknowledged by {by}.", ack.record);
        // Not this person's success: told even after an interim Reply.
        let told = first_word(ctx, row, token, user, Ending::Failure, text).await;
        let outcome = "already-acknowledged";
        let audit = audit_row(row, user, &name, app, &ack, outcome, told.reply);
        return finish_telling(ctx, row, Finish::Done, None, Some(audit), told.push).await;
    }
    let vars = variables(
        row,
        app,
        &ack,
        &name,
        kintone_user,
        user,
        notification.title,
    );
    let outcome = write_with_deadline(ctx, row, app, &ack, &vars, token).await;
    settle(ctx, row, user, &name, app, &ack, &vars, outcome).await;
}

/// The result of the write-back, and the token if it was not spent early.
struct Outcome {
    result: Result<Written, WriteBackError>,
    token: Option<ReplyToken>,
    early: Answer,
}

async fn write_with_deadline(
    ctx: &AckContext,
    row: &InboxRow,
    app: &AppConfig,
    ack: &AckData,
    vars: &HashMap<&'static str, String>,
    mut token: Option<ReplyToken>,
) -> Outcome {
    let auth = &app.auth;
    let mut early = Answer::Nothing;
    let mut attempt = 0u32;
    // The row as the store has it: an attempt that failed may have got as far
    // as the `Writing` stage (a comment stored by kintone whose answer was
    // lost), and the next attempt must resume from there — search for the
    // marker, use the stored revision — not start over.
    let mut current = row.clone();
    loop {
        // The attempt is its own scope: it borrows `current`, which a retry
        // replaces.
        let result = {
            let services = Services {
                store: &ctx.store,
                kintone: &ctx.kintone,
                clock: &ctx.clock,
            };
            let work = write_back(services, auth, &current, ack.record, &app.ack.method, vars);
            tokio::pin!(work);
            let left = token
                .as_ref()
                .and_then(|t| t.remaining(ctx.clock.steady_ms(), ctx.config.line.reply_deadline))
                .map(|d| d.saturating_sub(EARLY_REPLY_MARGIN));
            match left {
                Some(wait) => tokio::select! {
                    r = &mut work => r,
                    () = tokio::time::sleep(wait) => {
                        // Slow kintone: answer now, keep writing.
                        early = answer(ctx, row.seq, token.take(), None, "Received — recording…".into()).await;
                        work.await
                    }
                },
                None => work.await,
            }
        };
        match result {
            Err(e) if e.is_retryable() => {
                attempt += 1;
                ctx.metrics.retries.fetch_add(1, Ordering::Relaxed);
                let pause = default_backoff(attempt);
                let time_left = token
                    .as_ref()
                    .and_then(|t| {
                        t.remaining(ctx.clock.steady_ms(), ctx.config.line.reply_deadline)
                    })
                    .is_some_and(|l| l > pause + EARLY_REPLY_MARGIN);
                if time_left {
                    tracing::info!(event = %row.event_id, error = %e, "kintone busy; retrying while the reply can wait");
                    tokio::time::sleep(pause).await;
                    // Not knowing how far the attempt got (the row cannot be
                    // read), retrying now could double the write: leave it to
                    // the scheduled retry, which reads the row afresh.
                    if let Ok(Some(stored)) = ctx.store.inbox_get(&row.event_id).await {
                        current = stored;
                        continue;
                    }
                }
                return Outcome {
                    result: Err(e),
                    token,
                    early,
                };
            }
            result => {
                return Outcome {
                    result,
                    token,
                    early,
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn settle(
    ctx: &AckContext,
    row: &InboxRow,
    user: Option<&LineUserId>,
    name: &str,
    app: &AppConfig,
    ack: &AckData,
    vars: &HashMap<&'static str, String>,
    outcome: Outcome,
) {
    let Outcome {
        result,
        token,
        early,
    } = outcome;
    match result {
        Ok(written) => {
            let text = app.ack.reply.render(|k| vars.get(k).cloned());
            let told = last_word(ctx, row, token, &early, user, Ending::Success, text).await;
            let what = match written {
                Written::Now(_) => "written",
                Written::Already => "already-written",
            };
            ctx.metrics.acks.fetch_add(1, Ordering::Relaxed);
            let audit = audit_row(row, user, name, app, ack, what, told.reply);
            finish_telling(ctx, row, Finish::Done, None, Some(audit), told.push).await;
            let _ = ctx.events.send(AckEvent::Acknowledged {
                notification: ack.notification.to_string(),
            });
        }
        Err(e) if e.is_retryable() => {
            if token.is_some() {
                let text = "Received — kintone is busy, I'll record it shortly.";
                answer(ctx, row.seq, token, None, text.into()).await;
            }
            retry_later(ctx, row, &e.to_string()).await;
        }
        Err(e) => {
            tracing::error!(event = %row.event_id, error = %e, "write-back refused by kintone");
            ctx.metrics.ack_failures.fetch_add(1, Ordering::Relaxed);
            let text = tell::refused_text(ack.record, &e);
            let told = last_word(ctx, row, token, &early, user, Ending::Failure, text).await;
            let outcome = format!("failed: {e}");
            let audit = audit_row(row, user, name, app, ack, &outcome, told.reply);
            finish_telling(
                ctx,
                row,
                Finish::Failed,
                Some(e.to_string()),
                Some(audit),
                told.push,
            )
            .await;
        }
    }
}

/// The last word to the person: a Reply while the token is unspent;
/// after an interim Reply — early in this attempt (`early`), or by an
/// attempt before a retry or a restart — a queued push (see [`tell`]).
/// Every final answer goes through here, so none is lost to a spent token.
async fn last_word(
    ctx: &AckContext,
    row: &InboxRow,
    token: Option<ReplyToken>,
    early: &Answer,
    user: Option<&LineUserId>,
    ending: Ending,
    text: String,
) -> tell::Told {
    if tell::interim_sent(early, token.as_ref(), row) {
        return tell::late(ctx, early, user, ending, text);
    }
    let fallback_to = user.filter(|_| ending != Ending::Refusal);
    let answered = answer(ctx, row.seq, token, fallback_to, text).await;
    tell::Told {
        reply: answered.audit(),
        push: None,
    }
}

/// [`last_word`] for an answer given before any write-back in this
/// attempt: only an earlier attempt can have spent the Reply.
async fn first_word(
    ctx: &AckContext,
    row: &InboxRow,
    token: Option<ReplyToken>,
    user: Option<&LineUserId>,
    ending: Ending,
    text: String,
) -> tell::Told {
    last_word(ctx, row, token, &Answer::Nothing, user, ending, text).await
}

/// Schedules the event's next attempt after the usual backoff.
async fn retry_later(ctx: &AckContext, row: &InboxRow, why: &str) {
    let next = ctx.clock.steady_after(default_backoff(row_attempts(row)));
    tracing::warn!(event = %row.event_id, error = why, "the acknowledgement will be retried");
    if let Err(se) = ctx
        .store
        .inbox_retry_at(row.seq, next, why.to_owned())
        .await
    {
        tracing::error!(error = %se, "could not schedule the retry; it will be resumed on restart");
    }
}

/// The batch read failed for this event: reads its user and notification
/// on its own.
async fn read_known(
    ctx: &AckContext,
    user: Option<&LineUserId>,
    ack: &AckData,
) -> Result<Known, crate::store::StoreError> {
    let user = user.map(|u| u.as_str().to_owned());
    let id = ack.notification.to_string();
    let fresh_after = now_ms() - onboarding::PROFILE_TTL_MS;
    let found = ctx
        .store
        .ack_lookups(
            user.iter().cloned().collect(),
            fresh_after,
            vec![id.clone()],
        )
        .await?;
    Ok(Known::from(&found, user, Some(id)))
}

/// Answers a tap that may not acknowledge, and writes nothing.
///
/// A refused tap on one of our notifications (a forwarded card, data typed
/// by hand with a real id) gets an audit row: someone saw a real card. One
/// naming no notification of ours gets a log line and the metric only:
/// anyone can invent ids at will, and the audit trail stays a list of taps
/// on real cards (the inbox row keeps the reason either way).
#[allow(clippy::too_many_arguments)]
async fn refuse(
    ctx: &AckContext,
    row: &InboxRow,
    user: Option<&LineUserId>,
    app: &AppConfig,
    ack: &AckData,
    known: Known,
    why: permit::Refusal,
    token: Option<ReplyToken>,
) {
    ctx.metrics.ack_refused.fetch_add(1, Ordering::Relaxed);
    let user_id = user.map_or("", |u| u.as_str());
    if why == permit::Refusal::Unknown {
        // Invented ids cost nothing to send: the metric counts them, and a
        // flood of them must not flood the journal with warnings.
        tracing::info!(event = %row.event_id, notification = %ack.notification, user = user_id, reason = why.audit(), "tap not written back");
    } else {
        tracing::warn!(event = %row.event_id, notification = %ack.notification, user = user_id, reason = why.audit(), "tap on a real card not written back");
    }
    let text = why.text().to_owned();
    let told = first_word(ctx, row, token, user, Ending::Refusal, text).await;
    let audit = (why != permit::Refusal::Unknown).then(|| {
        let name = known.name.map_or_else(String::new, |(n, _)| n);
        audit_row(row, user, &name, app, ack, why.audit(), told.reply)
    });
    let err = Some(why.audit().to_owned());
    finish_telling(ctx, row, Finish::Done, err, audit, told.push).await;
}

fn row_attempts(row: &InboxRow) -> u32 {
    u32::try_from(row.attempts.max(1)).unwrap_or(u32::MAX)
}

fn variables(
    row: &InboxRow,
    app: &AppConfig,
    ack: &AckData,
    name: &str,
    kintone_user: Option<String>,
    user: Option<&LineUserId>,
    title: String,
) -> HashMap<&'static str, String> {
    // The tap's own time, so a retried write renders the same values.
    let (time, datetime) = template_times(row.event_ts_ms);
    HashMap::from([
        ("name", name.to_owned()),
        (
            "line_user",
            user.map(|u| u.as_str().to_owned()).unwrap_or_default(),
        ),
        ("kintone_user", kintone_user.unwrap_or_default()),
        ("time", time),
        ("datetime", datetime),
        ("record", ack.record.to_string()),
        ("app", ack.app.to_string()),
        ("app_name", app.name.clone()),
        ("title", title),
        ("notification", ack.notification.to_string()),
        ("via", "LINE".to_owned()),
    ])
}

fn audit_row(
    row: &InboxRow,
    user: Option<&LineUserId>,
    name: &str,
    app: &AppConfig,
    ack: &AckData,
    outcome: &str,
    reply: String,
) -> AckRecord {
    let to_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    AckRecord {
        at_ms: now_ms(),
        event_id: row.event_id.clone(),
        line_user_id: user.map(|u| u.as_str().to_owned()),
        actor: name.to_owned(),
        app: to_i64(app.id.get()),
        record: to_i64(ack.record.get()),
        notification: ack.notification.to_string(),
        method: app.ack.method.name().to_owned(),
        outcome: outcome.to_owned(),
        reply,
    }
}
