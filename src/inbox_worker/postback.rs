//! A postback: the Acknowledge button tapped on a card. Checked (ours, this
//! site, a connected app, a tap that may acknowledge), written back to
//! kintone, answered, audited, and the rest of the gateway told.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use super::deadline::{write_with_deadline, Outcome};
use super::dispatch::{finish, finish_acknowledged, finish_telling, retry_later};
use super::prepare::{read_known, Known};
use super::respond::answer;
use super::tell::{self, first_word, last_word, Ending};
use super::{onboarding, permit, AckContext};
use crate::acknowledge::outcome::AckOutcome;
use crate::acknowledge::vars::{AckFacts, Via};
use crate::acknowledge::AckEvent;
use crate::clock::now_ms;
use crate::config::{AppConfig, Config};
use crate::domain::LineUserId;
use crate::inbound::events::Source;
use crate::inbound::reply::ReplyToken;
use crate::postback::{AckData, PostbackError};
use crate::store::audit::AckRecord;
use crate::store::inbox::{Finish, InboxRow};
use crate::store::notifications::NotificationState;
use crate::store::pushes::OthersNotice;
use crate::text::fill;

/// A tap on one of our cards for a connected app, being handled.
pub(super) struct Tap<'a> {
    pub(super) row: &'a InboxRow,
    /// Who tapped, if LINE said.
    pub(super) user: Option<&'a LineUserId>,
    pub(super) app: &'a AppConfig,
    pub(super) ack: &'a AckData,
}

pub(super) async fn postback(
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
        Err(e) => return not_ours(ctx, row, user, token, e).await,
    };
    if ack.site != ctx.config.site {
        tracing::info!(event = %row.event_id, site = ack.site.as_str(), "postback for another site; ignored");
        return finish(ctx, row, Finish::Done, None, None).await;
    }
    let Some(app) = ctx.apps.app(ack.app) else {
        let app = ack.app.to_string();
        let texts = ctx.config.language.catalogue();
        let text = fill(texts.app_not_connected, &[("app", &app)]);
        let told = first_word(ctx, row, token, user, Ending::Refusal, text).await;
        let err = Some(format!("app {} not configured", ack.app));
        return finish_telling(ctx, row, Finish::Failed, err, None, told.push, told.after).await;
    };
    let tap = Tap {
        row,
        user,
        app: &app,
        ack: &ack,
    };
    let mut known = match known {
        Some(k) => k,
        None => match read_known(ctx, user, &ack).await {
            Ok(k) => k,
            Err(e) => return retry_later(ctx, row, &e.to_string()).await,
        },
    };
    let notification = match permitted(ctx, &tap, source, &known) {
        Ok(n) => n,
        Err(why) => return refuse(ctx, &tap, known, why, token).await,
    };
    let (name, kintone_user) = match known.name.take() {
        Some(found) => found,
        None => onboarding::who(ctx, user).await,
    };
    if notification.acked_ms.is_some() {
        return already_acknowledged(ctx, &tap, &name, &notification, token).await;
    }
    let vars = variables(
        &tap,
        &ctx.config,
        &name,
        kintone_user.as_deref(),
        &notification.title,
    );
    let outcome = write_with_deadline(ctx, &tap, &vars, token).await;
    let others = ctx
        .tell_others
        .get()
        .contains(&notification.rule)
        .then(|| tell::others_notice(ctx.config.language, &tap, &name, &notification))
        .flatten();
    settle(ctx, &tap, (&name, others), &vars, outcome).await;
}

/// Button data that is not ours, or damaged: told, nothing written.
async fn not_ours(
    ctx: &AckContext,
    row: &InboxRow,
    user: Option<&LineUserId>,
    token: Option<ReplyToken>,
    e: PostbackError,
) {
    let texts = ctx.config.language.catalogue();
    let text = match e {
        PostbackError::Foreign => texts.button_foreign,
        PostbackError::Damaged(_) => texts.button_damaged,
    };
    tracing::warn!(event = %row.event_id, error = %e, "postback not ours");
    let told = first_word(ctx, row, token, user, Ending::Refusal, text.to_owned()).await;
    let err = Some(e.to_string());
    finish_telling(ctx, row, Finish::Done, err, None, told.push, told.after).await;
}

/// The notification the tap acknowledges, if [`permit::check`] lets it.
fn permitted(
    ctx: &AckContext,
    tap: &Tap<'_>,
    source: &Source,
    known: &Known,
) -> Result<NotificationState, permit::Refusal> {
    let facts = permit::Facts {
        notification: known.notification.as_ref(),
        recipients: &known.recipients,
        is_staff: known.is_staff,
    };
    let ack_by = ctx.ack_by.get();
    let rule_ack_by = |rule: &str| ack_by.get(rule).copied().unwrap_or_default();
    permit::check(tap.ack, source, &facts, rule_ack_by).cloned()
}

/// Someone acknowledged first: told who, nothing written.
async fn already_acknowledged(
    ctx: &AckContext,
    tap: &Tap<'_>,
    name: &str,
    notification: &NotificationState,
    token: Option<ReplyToken>,
) {
    let by = notification.acked_by.as_deref().unwrap_or_default();
    let record = tap.ack.record.to_string();
    let texts = ctx.config.language.catalogue();
    let text = fill(
        texts.already_acknowledged,
        &[("record", &record), ("by", by)],
    );
    // Not this person's success: told even after an interim Reply.
    let told = first_word(ctx, tap.row, token, tap.user, Ending::Failure, text).await;
    let audit = audit_row(tap, name, &AckOutcome::AlreadyAcknowledged, told.reply);
    finish_telling(
        ctx,
        tap.row,
        Finish::Done,
        None,
        Some(audit),
        told.push,
        told.after,
    )
    .await;
}

/// Answers a tap that may not acknowledge, and writes nothing.
///
/// A refused tap on one of our notifications (a forwarded card, data typed
/// by hand with a real id) gets an audit row: someone saw a real card. One
/// naming no notification of ours gets a log line and the metric only:
/// anyone can invent ids at will, and the audit trail stays a list of taps
/// on real cards (the inbox row keeps the reason either way).
async fn refuse(
    ctx: &AckContext,
    tap: &Tap<'_>,
    known: Known,
    why: permit::Refusal,
    token: Option<ReplyToken>,
) {
    ctx.metrics.ack_refused.fetch_add(1, Ordering::Relaxed);
    let (row, ack) = (tap.row, tap.ack);
    let user_id = tap.user.map_or("", |u| u.as_str());
    if why == permit::Refusal::Unknown {
        // Invented ids cost nothing to send: the metric counts them, and a
        // flood of them must not flood the journal with warnings.
        tracing::info!(event = %row.event_id, notification = %ack.notification, user = user_id, reason = why.audit(), "tap not written back");
    } else {
        tracing::warn!(event = %row.event_id, notification = %ack.notification, user = user_id, reason = why.audit(), "tap on a real card not written back");
    }
    let text = why.text(ctx.config.language.catalogue()).to_owned();
    let told = first_word(ctx, row, token, tap.user, Ending::Refusal, text).await;
    let audit = (why != permit::Refusal::Unknown).then(|| {
        let name = known.name.map_or_else(String::new, |(n, _)| n);
        audit_row(tap, &name, &AckOutcome::Refused(why.audit()), told.reply)
    });
    let err = Some(why.audit().to_owned());
    finish_telling(ctx, row, Finish::Done, err, audit, told.push, told.after).await;
}

/// Ends the tap as the write-back went: told, audited, and the rest of the
/// gateway told; or, with kintone busy, left to a retry.
async fn settle(
    ctx: &AckContext,
    tap: &Tap<'_>,
    (name, others): (&str, Option<OthersNotice>),
    vars: &HashMap<&'static str, String>,
    outcome: Outcome,
) {
    let Outcome {
        result,
        token,
        early,
    } = outcome;
    let row = tap.row;
    match result {
        Ok(written) => {
            let text = tap.app.ack.reply.render(|k| vars.get(k).cloned());
            let told = last_word(ctx, row, token, &early, tap.user, Ending::Success, text).await;
            ctx.metrics.acks.fetch_add(1, Ordering::Relaxed);
            let audit = audit_row(tap, name, &AckOutcome::of(&written), told.reply);
            let audit = (Some(audit), others);
            finish_acknowledged(ctx, row, Finish::Done, None, audit, told.push, told.after).await;
            let _ = ctx.events.send(AckEvent::Acknowledged {
                notification: tap.ack.notification.to_string(),
            });
        }
        Err(e) if e.is_retryable() => {
            if token.is_some() {
                let busy = ctx.config.language.catalogue().busy;
                answer(ctx, row.seq, token, None, busy.into()).await;
            }
            retry_later(ctx, row, &e.to_string()).await;
        }
        Err(e) => {
            tracing::error!(event = %row.event_id, error = %e, "write-back refused by kintone");
            ctx.metrics.ack_failures.fetch_add(1, Ordering::Relaxed);
            let text = tell::refused_text(ctx.config.language, tap.ack.record, &e);
            let told = last_word(ctx, row, token, &early, tap.user, Ending::Failure, text).await;
            let outcome = AckOutcome::Failed(e.to_string());
            let audit = audit_row(tap, name, &outcome, told.reply);
            let err = Some(e.to_string());
            finish_telling(
                ctx,
                row,
                Finish::Failed,
                err,
                Some(audit),
                told.push,
                told.after,
            )
            .await;
        }
    }
}

/// The tap's template values.
fn variables(
    tap: &Tap<'_>,
    config: &Config,
    name: &str,
    kintone_user: Option<&str>,
    title: &str,
) -> HashMap<&'static str, String> {
    let notification = tap.ack.notification.to_string();
    AckFacts {
        who: name,
        line_user: tap.user.map_or("", |u| u.as_str()),
        kintone_user: kintone_user.unwrap_or_default(),
        via: Via::Line,
        // The tap's own time, so a retried write renders the same values.
        at_ms: tap.row.event_ts_ms,
        app: tap.ack.app,
        app_name: &tap.app.name,
        record: tap.ack.record,
        title,
        notification: &notification,
        zone: &config.time_zone,
        language: config.language,
    }
    .render()
}

fn audit_row(tap: &Tap<'_>, name: &str, outcome: &AckOutcome, reply: String) -> AckRecord {
    AckRecord {
        at_ms: now_ms(),
        event_id: tap.row.event_id.clone(),
        line_user_id: tap.user.map(|u| u.as_str().to_owned()),
        actor: name.to_owned(),
        app: tap.app.id.stored(),
        record: tap.ack.record.stored(),
        notification: tap.ack.notification.to_string(),
        method: tap.app.ack.method.name().to_owned(),
        outcome: outcome.as_str().into_owned(),
        reply,
    }
}
