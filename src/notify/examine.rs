//! Judging records and storing the verdicts: the state is read, the
//! decision made and the cards rendered off the store thread, then stored in
//! one transaction that re-checks the state (`store::verdicts`). Should the
//! state have moved on meanwhile, the record is decided again on the fresh
//! state.

use std::sync::Arc;

use super::card::{self, Change};
use super::detect::{decide, watched_fields, Decision, Judge, Seen};
use super::NotifyContext;
use crate::config::rules::{Recipient, Rule};
use crate::domain::AppId;
use crate::kintone::record::Record;
use crate::postback::NotificationId;
use crate::store::field_state::{load, RecordState, RevisionKey};
use crate::store::notifications::NewNotification;
use crate::store::recipients::{RecipientKey, Resolved};
use crate::store::verdicts::{store_judged, Judged, Outcome, Source, Stored};
use crate::store::StoreError;

/// What examining a record did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Older than (or the same as) what was already seen.
    Stale,
    /// The gateway's own write; state updated, nobody told.
    Echo,
    /// Maybe the gateway's own write, whose answer is outstanding: nothing
    /// stored; look again when the write-back resolves, or at `until_ms`.
    Held { until_ms: i64 },
    /// First sight during the baseline; state stored, nobody told.
    Baseline,
    /// Watched fields compared; these notifications were created.
    Notified(Vec<Created>),
}

/// A notification created by [`examine`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub id: String,
    pub rule: String,
    pub from: Option<String>,
    pub to: String,
    pub recipients: Vec<String>,
    pub buzz: bool,
}

/// A record to examine and the queue entry it came from.
pub struct Item {
    pub record: Record,
    pub source: Source,
}

/// Rounds of deciding again on a state that moved on before giving up
/// (the change is retried later): each round needs another writer to have
/// stored over the same record meanwhile.
const MAX_ROUNDS: usize = 8;

/// Records judged in one round trip: a poll's page is 500 records, and
/// rendering every card of a page before storing any would hold them all in
/// memory at once.
const CHUNK: usize = 32;

/// Judges `items` of `app`, storing their verdicts; one verdict per item,
/// in order.
///
/// # Errors
/// A store error, or a card that cannot be built within LINE's limits.
pub async fn examine(
    ctx: &Arc<NotifyContext>,
    app: AppId,
    items: Vec<Item>,
    title_hint: Option<String>,
) -> Result<Vec<Verdict>, StoreError> {
    let mut verdicts = Vec::with_capacity(items.len());
    let mut items = items.into_iter().peekable();
    while items.peek().is_some() {
        let chunk: Vec<Item> = items.by_ref().take(CHUNK).collect();
        verdicts.extend(examine_chunk(ctx, app, chunk, title_hint.as_deref()).await?);
    }
    Ok(verdicts)
}

async fn examine_chunk(
    ctx: &Arc<NotifyContext>,
    app: AppId,
    items: Vec<Item>,
    title_hint: Option<&str>,
) -> Result<Vec<Verdict>, StoreError> {
    let rules = ctx.rules_for(app);
    let fields = watched_fields(&rules);
    // Steady time: holds and retries share the change queue's timeline.
    let now = ctx.clock.steady_ms();
    let mut states = load_states(ctx, app, &items, &fields, now).await?;
    let cfg = ctx
        .apps
        .app(app)
        .ok_or_else(|| StoreError::Invalid("app vanished".into()))?;
    let judge = ctx.judge(&cfg, &rules, title_hint);
    let mut verdicts: Vec<Option<Verdict>> = vec![None; items.len()];
    for _ in 0..MAX_ROUNDS {
        let todo: Vec<usize> = (0..items.len())
            .filter(|&n| verdicts[n].is_none())
            .collect();
        if todo.is_empty() {
            return Ok(verdicts.into_iter().flatten().collect());
        }
        let mut kinds = Vec::with_capacity(todo.len());
        let mut jobs = Vec::with_capacity(todo.len());
        for &n in &todo {
            let (judged, kind) = prepare(&judge, &fields, &items[n].record, states[n].clone())?;
            kinds.push(kind);
            jobs.push((judged, items[n].source));
        }
        let stored = store_round(ctx, jobs, now).await?;
        for ((n, kind), (judged, s)) in todo.into_iter().zip(kinds).zip(stored) {
            match s {
                Stored::Done(resolved) => {
                    let nobody = resolved.iter().filter(|r| r.undeliverable).count();
                    ctx.metrics
                        .undeliverable
                        .fetch_add(nobody as u64, std::sync::atomic::Ordering::Relaxed);
                    verdicts[n] = Some(verdict(&judged.outcome, kind, &resolved, &rules));
                }
                Stored::Stale(fresh) => states[n] = fresh,
            }
        }
    }
    Err(StoreError::Invalid(
        "a record's stored state kept changing while it was judged".into(),
    ))
}

/// The stored state of each item's revision, read off the writer.
async fn load_states(
    ctx: &NotifyContext,
    app: AppId,
    items: &[Item],
    fields: &[String],
    now: i64,
) -> Result<Vec<RecordState>, StoreError> {
    let keys: Vec<RevisionKey> = items.iter().map(|i| key(app, &i.record)).collect();
    let fields = fields.to_vec();
    ctx.store
        .read(move |c| keys.iter().map(|&k| load(c, k, &fields, now)).collect())
        .await
}

/// Stores each decision in one transaction; gives them back with what
/// storing did.
async fn store_round(
    ctx: &NotifyContext,
    jobs: Vec<(Judged, Source)>,
    now: i64,
) -> Result<Vec<(Judged, Stored)>, StoreError> {
    // Redoable: lost in a crash, the change is still pending (its webhook
    // or poll was synced) and is judged again against the same state.
    ctx.store
        .call_redoable(move |c| {
            jobs.into_iter()
                .map(|(j, source)| {
                    let stored = store_judged(c, &j, source, now)?;
                    Ok((j, stored))
                })
                .collect()
        })
        .await
}

fn key(app: AppId, record: &Record) -> RevisionKey {
    RevisionKey {
        app,
        record: record.id,
        revision: i64::try_from(record.revision.0).unwrap_or(i64::MAX),
    }
}

/// Decides on `state` and renders the cards of the notifications to create.
fn prepare(
    judge: &Judge<'_>,
    fields: &[String],
    record: &Record,
    state: RecordState,
) -> Result<(Judged, Option<Seen>), StoreError> {
    let (outcome, kind) = match decide(judge.rules, &state, record) {
        Decision::Stale => (Outcome::Nothing, None),
        Decision::Held { until_ms } => (Outcome::Held { until_ms }, None),
        Decision::Update {
            kind,
            values,
            firings,
        } => {
            let notifications = firings
                .iter()
                .map(|f| new_notification(judge, record, f.rule, f.from.as_deref(), &f.to))
                .collect::<Result<Vec<_>, _>>()?;
            let outcome = Outcome::Store {
                values,
                notifications,
            };
            (outcome, Some(kind))
        }
    };
    let judged = Judged {
        key: key(judge.app, record),
        fields: fields.to_vec(),
        judged_on: state,
        outcome,
    };
    Ok((judged, kind))
}

fn new_notification(
    judge: &Judge<'_>,
    record: &Record,
    rule: &Rule,
    from: Option<&str>,
    to: &str,
) -> Result<NewNotification, StoreError> {
    let id = NotificationId::random();
    let change = Change {
        rule,
        record,
        from,
        to,
    };
    let card = card::render(judge, change, &id).map_err(|e| StoreError::Invalid(e.to_string()))?;
    Ok(NewNotification {
        id: id.to_string(),
        app: judge.app,
        record: record.id,
        rule: rule.name.clone(),
        from: from.map(str::to_owned),
        to: to.to_owned(),
        revision: i64::try_from(record.revision.0).unwrap_or(i64::MAX),
        title: card.title,
        buzz: rule.buzz,
        recipients: recipient_keys(rule, record),
        fallback: judge.fallback.to_vec(),
        bubble: card.bubble,
        alt_text: card.alt_text,
        chain: super::chain::plan::new_chain(&rule.chain, &rule.field),
        night: rule.at_night,
    })
}

/// The rule's recipients in the store's terms, one key per configured one.
fn recipient_keys(rule: &Rule, record: &Record) -> Vec<RecipientKey> {
    rule.recipients
        .iter()
        .map(|r| key_of(r, Some(record)))
        .collect()
}

/// One recipient in the store's terms; a `field:` one names the people in
/// that field of `record` (nobody without a record).
fn key_of(r: &Recipient, record: Option<&Record>) -> RecipientKey {
    match r {
        Recipient::Staff(name) => RecipientKey::StaffName(name.clone()),
        Recipient::KintoneUser(code) => RecipientKey::KintoneUsers(vec![code.clone()]),
        Recipient::Field(field) => {
            RecipientKey::KintoneUsers(record.map(|r| r.user_codes(field)).unwrap_or_default())
        }
        Recipient::GroupName(name) => RecipientKey::GroupName(name.clone()),
        Recipient::User(u) => RecipientKey::LineId(u.as_str().to_owned()),
        Recipient::Group(g) => RecipientKey::LineId(g.as_str().to_owned()),
    }
}

/// Recipients that need no record (`field:` ones are dropped), in the
/// store's terms.
pub fn fixed_keys(recipients: &[Recipient]) -> Vec<RecipientKey> {
    recipients
        .iter()
        .filter_map(|r| match r {
            Recipient::Field(_) => None,
            other => Some(key_of(other, None)),
        })
        .collect()
}

/// The verdict of a stored decision, logging recipients nobody could reach.
fn verdict(
    outcome: &Outcome,
    kind: Option<Seen>,
    resolved: &[Resolved],
    rules: &[Rule],
) -> Verdict {
    let notifications = match outcome {
        Outcome::Nothing => return Verdict::Stale,
        Outcome::Held { until_ms } => {
            return Verdict::Held {
                until_ms: *until_ms,
            }
        }
        Outcome::Store { notifications, .. } => notifications,
    };
    match kind {
        Some(Seen::Echo) => return Verdict::Echo,
        Some(Seen::Baseline) => return Verdict::Baseline,
        _ => {}
    }
    let created = notifications
        .iter()
        .zip(resolved)
        .map(|(n, r)| {
            log_unreached(n, r, rules);
            Created {
                id: n.id.clone(),
                rule: n.rule.clone(),
                from: n.from.clone(),
                to: n.to.clone(),
                recipients: r.ids.clone(),
                buzz: n.buzz,
            }
        })
        .collect();
    Verdict::Notified(created)
}

fn log_unreached(n: &NewNotification, r: &Resolved, rules: &[Rule]) {
    let rule = rules.iter().find(|rule| rule.name == n.rule);
    for recipient in r.unlinked.iter().filter_map(|&k| rule?.recipients.get(k)) {
        tracing::info!(rule = %n.rule, recipient = ?recipient, "recipient not linked yet; skipped");
    }
    if r.undeliverable {
        let reason = crate::store::undeliverable::reason(&n.recipients);
        if r.ids.is_empty() {
            tracing::warn!(rule = %n.rule, record = %n.record, %reason, "notification reaches nobody and no [notify] fallback does either; recorded as undeliverable (see `outbox`; link staff with `staff invite`)");
        } else {
            tracing::warn!(rule = %n.rule, record = %n.record, %reason, fallback = r.ids.len(), "notification reaches nobody; sent to the [notify] fallback instead");
        }
    }
}
