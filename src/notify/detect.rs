//! Deciding what a record's current state means: a pure function of what
//! the store knows ([`RecordState`]), the record and the rules.
//!
//! kintone never says what a field was before; the gateway knows only what it
//! saw last. So for each watched field the stored value is compared with the
//! record's. The decision is stored in one transaction that first checks the
//! state is still the one decided on (`store::verdicts`), so a webhook and a
//! poll that bring the same revision produce one notification, not two.
//!
//! Rules kept: an app's first scan only sets a baseline (no flood on first
//! start); a revision the gateway wrote itself is an echo and notifies no one;
//! an older revision than the one stored changes nothing.
//!
//! A revision a write-back of the gateway is about to produce, or has sent
//! without an answer yet, is neither judged nor called an echo: it is *held*
//! ([`Decision::Held`]) until the write-back resolves (see
//! [`crate::store::intents`]). kintone may send the write's webhook before it
//! answers the write, and a power cut may come between the two; only the
//! answer (or the resumed attempt) tells whether that revision is ours or a
//! person's who got there first. Other revisions are judged at once: one
//! below the intent's cannot be the write's result, and one above it is
//! judged the same whichever way the write-back resolves.

use std::collections::BTreeSet;

use crate::config::rules::Rule;
use crate::domain::{AppId, SiteKey};
use crate::kintone::record::Record;
use crate::store::field_state::RecordState;
use crate::text::Language;

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
    /// The language of the card.
    pub language: Language,
    /// Whom a notification goes to when its recipients reach nobody.
    pub fallback: &'a [crate::store::recipients::RecipientKey],
}

/// What a revision means.
#[derive(Debug, Clone)]
pub enum Decision<'r> {
    /// Older than (or the same as) what was already seen.
    Stale,
    /// Maybe the gateway's own write, whose answer is outstanding: store
    /// nothing; look again when the write-back resolves, or at `until_ms`.
    Held { until_ms: i64 },
    /// Store the watched values; `firings` are the notifications to create.
    Update {
        kind: Seen,
        values: Vec<(String, String)>,
        firings: Vec<Firing<'r>>,
    },
}

/// How a revision that updates the stored values was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// The gateway's own write: nobody told.
    Echo,
    /// First sight during the baseline: nobody told.
    Baseline,
    /// Compared with the stored values.
    Compared,
}

/// A rule that matched a field's change.
#[derive(Debug, Clone)]
pub struct Firing<'r> {
    pub rule: &'r Rule,
    pub from: Option<String>,
    pub to: String,
}

/// The fields `rules` watch, each once, in a fixed order.
pub fn watched_fields(rules: &[Rule]) -> Vec<String> {
    let set: BTreeSet<&str> = rules.iter().map(|r| r.field.as_str()).collect();
    set.into_iter().map(str::to_owned).collect()
}

/// Decides what `record` means given the stored `state` and `rules`.
pub fn decide<'r>(rules: &'r [Rule], state: &RecordState, record: &Record) -> Decision<'r> {
    let rev = i64::try_from(record.revision.0).unwrap_or(i64::MAX);
    if state.seen_revision.is_some_and(|s| s >= rev) {
        return Decision::Stale;
    }
    let echo = state.own_write;
    if let (false, Some(until_ms)) = (echo, state.held_until) {
        return Decision::Held { until_ms };
    }
    // Before the app's baseline, or a record that existed then but was never
    // stored: remember, do not notify.
    let first_sight_is_baseline = state.seen_revision.is_none()
        && state
            .baseline_max
            .is_none_or(|max| record.id.stored() <= max);
    let mut values = Vec::new();
    let mut firings = Vec::new();
    for field in watched_fields(rules) {
        let now_value = record.text(&field).unwrap_or_default();
        let before = state.values.get(&field).map(String::as_str);
        if !(echo || first_sight_is_baseline || before == Some(now_value.as_str())) {
            firings.extend(fired(rules, &field, before, &now_value));
        }
        values.push((field, now_value));
    }
    let kind = match (echo, first_sight_is_baseline) {
        (true, _) => Seen::Echo,
        (false, true) => Seen::Baseline,
        (false, false) => Seen::Compared,
    };
    Decision::Update {
        kind,
        values,
        firings,
    }
}

/// The rules on `field` that its change `before -> now` matches.
fn fired<'r>(rules: &'r [Rule], field: &str, before: Option<&str>, now: &str) -> Vec<Firing<'r>> {
    rules
        .iter()
        .filter(|r| r.field == field && r.matches(before, now))
        .map(|rule| Firing {
            rule,
            from: before.map(str::to_owned),
            to: now.to_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::rules::AckBy;

    fn rule() -> Rule {
        Rule {
            name: "r".into(),
            app: AppId::new(1).expect("app"),
            field: "STATUS".into(),
            from: None,
            to: Some(vec!["Needs approval".into()]),
            recipients: vec![],
            show: vec![],
            buzz: false,
            template: None,
            ack_by: AckBy::Recipients,
            chain: crate::config::rules::ChainRule::default(),
            at_night: crate::domain::AtNight::Hold,
            tell_others: false,
        }
    }

    fn record(id: u64, revision: u64, status: &str) -> Record {
        Record::from_json(serde_json::json!({
            "$id": {"type": "__ID__", "value": id.to_string()},
            "$revision": {"type": "__REVISION__", "value": revision.to_string()},
            "STATUS": {"type": "STATUS", "value": status}
        }))
        .expect("record")
    }

    fn stored(revision: i64, status: &str) -> RecordState {
        RecordState {
            seen_revision: Some(revision),
            baseline_max: Some(10),
            values: [("STATUS".to_owned(), status.to_owned())].into(),
            ..RecordState::default()
        }
    }

    fn fired(d: &Decision<'_>) -> Vec<(Option<String>, String)> {
        match d {
            Decision::Update { firings, .. } => firings
                .iter()
                .map(|f| (f.from.clone(), f.to.clone()))
                .collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn a_changed_field_fires_its_rule_and_the_new_value_is_stored() {
        let rules = [rule()];
        let d = decide(&rules, &stored(3, "Draft"), &record(5, 4, "Needs approval"));
        assert_eq!(fired(&d), [(Some("Draft".into()), "Needs approval".into())]);
        let Decision::Update { kind, values, .. } = d else {
            panic!("not an update: {d:?}");
        };
        assert_eq!(kind, Seen::Compared);
        assert_eq!(values, [("STATUS".into(), "Needs approval".into())]);
    }

    #[test]
    fn older_revisions_echoes_holds_and_baselines_notify_no_one() {
        let rules = [rule()];
        let moved = record(5, 4, "Needs approval");
        assert!(matches!(
            decide(&rules, &stored(4, "Draft"), &moved),
            Decision::Stale
        ));
        let echo = RecordState {
            own_write: true,
            held_until: Some(9),
            ..stored(3, "Draft")
        };
        let d = decide(&rules, &echo, &moved);
        assert!(
            matches!(
                d,
                Decision::Update {
                    kind: Seen::Echo,
                    ..
                }
            ),
            "{d:?}"
        );
        assert!(fired(&d).is_empty());
        let held = RecordState {
            held_until: Some(9),
            ..stored(3, "Draft")
        };
        assert!(matches!(
            decide(&rules, &held, &moved),
            Decision::Held { until_ms: 9 }
        ));
        // Never seen, and within the baseline (id 5 <= 10): remembered only.
        let d = decide(
            &rules,
            &RecordState {
                baseline_max: Some(10),
                ..RecordState::default()
            },
            &moved,
        );
        assert!(
            matches!(
                d,
                Decision::Update {
                    kind: Seen::Baseline,
                    ..
                }
            ),
            "{d:?}"
        );
        assert!(fired(&d).is_empty());
        // Never seen, above the baseline: a new record, judged from nothing.
        let new = RecordState {
            baseline_max: Some(4),
            ..RecordState::default()
        };
        assert_eq!(
            fired(&decide(&rules, &new, &moved)),
            [(None, "Needs approval".into())]
        );
    }
}
