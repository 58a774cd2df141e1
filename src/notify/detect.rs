//! Deciding what a record's current state means, in one store transaction.
//!
//! kintone never says what a field was before; the gateway knows only what it
//! saw last. So for each watched field the stored value is compared with the
//! record's, and in the same transaction the new value is stored and any
//! notifications are created. Because of that, a webhook and a poll that
//! bring the same revision produce one notification, not two.
//!
//! Rules kept: an app's first scan only sets a baseline (no flood on first
//! start); a revision the gateway wrote itself is an echo and notifies no one;
//! an older revision than the one stored changes nothing.
//!
//! A revision a write-back of the gateway is about to produce, or has sent
//! without an answer yet, is neither judged nor called an echo: it is *held*
//! ([`Verdict::Held`]) until the write-back resolves (see
//! [`crate::store::intents`]). kintone may send the write's webhook before it
//! answers the write, and a power cut may come between the two; only the
//! answer (or the resumed attempt) tells whether that revision is ours or a
//! person's who got there first. Other revisions are judged at once: one
//! below the intent's cannot be the write's result, and one above it is
//! judged the same whichever way the write-back resolves.

use std::collections::BTreeSet;

use rusqlite::{params, Connection, OptionalExtension};

use crate::config::rules::{Recipient, Rule};
use crate::domain::{AppId, SiteKey};
use crate::kintone::record::Record;
use crate::line::flex::{self, NotificationCard};
use crate::postback::{AckData, NotificationId};
use crate::store::intents::held_until;
use crate::store::StoreError;

/// Everything needed to judge one record of one app.
#[derive(Debug, Clone)]
pub struct Judge<'a> {
    pub app: AppId,
    pub app_name: &'a str,
    pub site: &'a SiteKey,
    /// Record URL prefix: `https://x.cybozu.com/k/42/show#record=`.
    pub record_url: &'a str,
    pub title_field: Option<&'a str>,
    /// The webhook's `recordTitle`, when the record came from one.
    pub title_hint: Option<&'a str>,
    pub rules: &'a [Rule],
}

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

fn i(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Judges `record` against stored state and `judge.rules`, storing the new
/// state and creating notifications and their deliveries.
///
/// # Errors
/// A store error (the caller's transaction is rolled back), or a card that
/// cannot be built within LINE's limits.
pub fn examine(
    c: &Connection,
    judge: &Judge<'_>,
    record: &Record,
    now_ms: i64,
) -> Result<Verdict, StoreError> {
    let (app, rec, rev) = (i(judge.app.get()), i(record.id.get()), i(record.revision.0));
    let seen: Option<i64> = c
        .prepare_cached("SELECT MAX(revision) FROM field_state WHERE app = ?1 AND record = ?2")?
        .query_row(params![app, rec], |r| r.get(0))
        .optional()?
        .flatten();
    if seen.is_some_and(|s| s >= rev) {
        return Ok(Verdict::Stale);
    }
    let fields: BTreeSet<&str> = judge.rules.iter().map(|r| r.field.as_str()).collect();
    let echo: bool = c
        .prepare_cached(
            "SELECT 1 FROM own_writes WHERE app = ?1 AND record = ?2 AND revision = ?3",
        )?
        .query_row(params![app, rec, rev], |_| Ok(true))
        .optional()?
        .unwrap_or(false);
    if !echo {
        if let Some(until_ms) = held_until(c, app, rec, rev, now_ms)? {
            return Ok(Verdict::Held { until_ms });
        }
    }
    let baseline: Option<i64> = c
        .prepare_cached("SELECT max_record FROM app_baseline WHERE app = ?1")?
        .query_row([app], |r| r.get(0))
        .optional()?;
    // Before the app's baseline, or a record that existed then but was never
    // stored: remember, do not notify.
    let first_sight_is_baseline = seen.is_none() && baseline.is_none_or(|max| rec <= max);
    let mut created = Vec::new();
    for field in fields {
        let now_value = record.text(field).unwrap_or_default();
        let before: Option<String> = c
            .prepare_cached(
                "SELECT value FROM field_state WHERE app = ?1 AND record = ?2 AND field = ?3",
            )?
            .query_row(params![app, rec, field], |r| r.get(0))
            .optional()?;
        c.prepare_cached("INSERT INTO field_state(app, record, field, value, revision) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(app, record, field) DO UPDATE SET value = excluded.value, revision = excluded.revision")?.execute(params![app, rec, field, now_value, rev],
        )?;
        if echo || first_sight_is_baseline || before.as_deref() == Some(now_value.as_str()) {
            continue;
        }
        for rule in judge.rules.iter().filter(|r| r.field == field) {
            if rule.matches(before.as_deref(), &now_value) {
                created.push(create(
                    c,
                    judge,
                    rule,
                    record,
                    before.clone(),
                    &now_value,
                    now_ms,
                )?);
            }
        }
    }
    if echo {
        return Ok(Verdict::Echo);
    }
    if first_sight_is_baseline {
        return Ok(Verdict::Baseline);
    }
    Ok(Verdict::Notified(created))
}

fn title(judge: &Judge<'_>, record: &Record) -> String {
    judge
        .title_field
        .and_then(|f| record.text(f))
        .or_else(|| judge.title_hint.map(str::to_owned))
        .unwrap_or_default()
}

fn create(
    c: &Connection,
    judge: &Judge<'_>,
    rule: &Rule,
    record: &Record,
    from: Option<String>,
    to: &str,
    now_ms: i64,
) -> Result<Created, StoreError> {
    let id = NotificationId::random();
    let ack = AckData {
        site: judge.site.clone(),
        app: judge.app,
        record: record.id,
        notification: id.clone(),
    };
    let title = title(judge, record);
    let card = NotificationCard {
        app_name: judge.app_name.to_owned(),
        status: to.to_owned(),
        previous: from.clone(),
        title: title.clone(),
        record_id: record.id.get(),
        fields: rule
            .show
            .iter()
            .map(|code| (code.clone(), record.display(code).unwrap_or_default()))
            .collect(),
        ack_data: Some(ack.to_string()),
        open_url: Some(format!("{}{}", judge.record_url, record.id)),
    };
    let alt = flex::alt_text(&card);
    let bubble = match &rule.template {
        Some(t) => t
            .render(&|name: &str| template_value(name, judge, record, &card, &ack))
            .map_err(|e| StoreError::Invalid(format!("rule {}: template: {e}", rule.name)))?,
        None => card
            .to_bubble()
            .and_then(|b| b.to_json())
            .map_err(|e| StoreError::Invalid(format!("rule {}: card: {e}", rule.name)))?,
    };
    let bubble = serde_json::to_string(&bubble).map_err(|e| StoreError::Invalid(e.to_string()))?;
    c.prepare_cached("INSERT INTO notifications(id, app, record, rule, from_value, to_value, revision, title, created_ms, buzz)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")?.execute(params![
            id.as_str(),
            i(judge.app.get()),
            i(record.id.get()),
            rule.name,
            from,
            to,
            i(record.revision.0),
            title,
            now_ms,
            rule.buzz
        ],
    )?;
    let recipients = resolve(c, rule, record)?;
    for who in &recipients {
        c.prepare_cached(
            "INSERT INTO deliveries(notification, recipient, bubble, alt_text, created_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![id.as_str(), who, bubble, alt, now_ms])?;
    }
    if recipients.is_empty() {
        tracing::warn!(rule = %rule.name, record = %record.id, "notification has no reachable recipient (link staff with `staff invite`)");
    }
    Ok(Created {
        id: id.to_string(),
        rule: rule.name.clone(),
        from,
        to: to.to_owned(),
        recipients,
        buzz: rule.buzz,
    })
}

fn template_value(
    name: &str,
    judge: &Judge<'_>,
    record: &Record,
    card: &NotificationCard,
    ack: &AckData,
) -> Option<String> {
    match name {
        "app_name" => Some(card.app_name.clone()),
        "status" => Some(card.status.clone()),
        "previous" => card.previous.clone(),
        "record_id" => Some(record.id.to_string()),
        "title" => Some(card.title.clone()),
        "url" => Some(format!("{}{}", judge.record_url, record.id)),
        "ack_data" => Some(ack.to_string()),
        code => record.display(code),
    }
}

/// LINE ids for a rule's recipients, each once.
fn resolve(c: &Connection, rule: &Rule, record: &Record) -> Result<Vec<String>, StoreError> {
    let mut out = BTreeSet::new();
    let one = |sql: &str, key: &str| -> Result<Vec<String>, StoreError> {
        let mut st = c.prepare_cached(sql)?;
        let rows = st.query_map([key], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    };
    for r in &rule.recipients {
        let found = match r {
            Recipient::Staff(name) => one(
                "SELECT line_user_id FROM staff WHERE display_name = ?1",
                name,
            )?,
            Recipient::KintoneUser(code) => one(
                "SELECT line_user_id FROM staff WHERE kintone_user = ?1",
                code,
            )?,
            Recipient::Field(field) => {
                let mut ids = Vec::new();
                for code in record.user_codes(field) {
                    ids.extend(one(
                        "SELECT line_user_id FROM staff WHERE kintone_user = ?1",
                        &code,
                    )?);
                }
                ids
            }
            Recipient::GroupName(name) => one(
                "SELECT group_id FROM groups WHERE name = ?1 AND left_ms IS NULL",
                name,
            )?,
            Recipient::User(u) => vec![u.as_str().to_owned()],
            Recipient::Group(g) => vec![g.as_str().to_owned()],
        };
        if found.is_empty() {
            tracing::info!(rule = %rule.name, recipient = ?r, "recipient not linked yet; skipped");
        }
        out.extend(found);
    }
    Ok(out.into_iter().collect())
}

/// Marks an app's baseline done: records above `max_record` are new.
///
/// # Errors
/// The write failed.
pub fn finish_baseline(
    c: &Connection,
    app: AppId,
    max_record: u64,
    now_ms: i64,
) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT OR IGNORE INTO app_baseline(app, done_ms, max_record) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![i(app.get()), now_ms, i(max_record)])?;
    Ok(())
}

/// Whether an app's baseline is done.
///
/// # Errors
/// The read failed.
pub fn baseline_done(c: &Connection, app: AppId) -> Result<bool, StoreError> {
    Ok(
        c.prepare_cached("SELECT 1 FROM app_baseline WHERE app = ?1")?
            .query_row([i(app.get())], |_| Ok(()))
            .optional()?
            .is_some(),
    )
}
