//! One due chain's step, built off the store thread: which steps are due
//! (`plan::due`), the reminder and escalation cards, and whom an escalation
//! names; then applied in the store's transaction.

use rusqlite::Connection;

use super::plan::{due, schedule, Due};
use super::NotifyContext;
use crate::config::rules::{Recipient, Rule};
use crate::domain::AtNight;
use crate::notify::card::with_banner;
use crate::store::chains::{advance, stop, Advance, DueChain, StepCard, StopReason};
use crate::store::recipients::RecipientKey;
use crate::store::StoreError;
use crate::text::fill;

/// What to do with one due chain.
#[derive(Debug)]
pub(super) enum Action {
    Stop(String, StopReason),
    Advance(Advance),
    /// Due in the quiet hours, and the rule holds its cards: later.
    Wait,
}

/// What applying an action did, for the log and the counters.
#[derive(Debug, Default)]
pub(super) struct Applied {
    /// Reminder and escalation cards stored.
    pub cards: (usize, usize),
    stopped: Option<StopReason>,
    stage: Option<String>,
}

impl Action {
    /// Applies it on the store thread, at steady `now_ms`.
    pub fn apply(&self, c: &Connection, now_ms: i64) -> Result<Applied, StoreError> {
        Ok(match self {
            Action::Stop(id, reason) => {
                let n = stop(c, id, *reason, now_ms)?;
                Applied {
                    stopped: (n > 0).then_some(*reason),
                    ..Applied::default()
                }
            }
            Action::Wait => Applied::default(),
            Action::Advance(a) => match advance(c, a, now_ms)? {
                None => Applied::default(),
                Some(cards) => Applied {
                    cards,
                    stopped: a.next_due_ms.is_none().then_some(StopReason::Done),
                    stage: Some(a.stage.as_text()),
                },
            },
        })
    }
}

impl Applied {
    /// The audit line of a step or a stop.
    pub fn log(&self, notification: &str) {
        if let Some(stage) = &self.stage {
            let (reminders, escalations) = self.cards;
            tracing::info!(%notification, %stage, reminders, escalations, "reminder step queued");
        }
        if let Some(reason) = self.stopped {
            tracing::info!(%notification, reason = reason.as_str(), "reminder chain stopped");
        }
    }
}

/// How the chain task sees the night.
#[derive(Debug, Clone, Copy)]
pub(super) struct Night {
    /// Now is in the quiet hours.
    pub quiet: bool,
    /// `reminders_at_night = "pause"`: a late step moves the rest.
    pub pause: bool,
}

/// The action for chain `h` at steady `now_ms`.
pub(super) fn action(ctx: &NotifyContext, h: &DueChain, now_ms: i64, night: Night) -> Action {
    let stop_it = |reason| Action::Stop(h.notification.clone(), reason);
    let rules = ctx.rules.get();
    let Some(rule) = rules
        .iter()
        .find(|r| r.name == h.rule && r.app.stored() == h.app)
    else {
        tracing::warn!(notification = %h.notification, rule = %h.rule, "rule no longer configured; its reminders stop");
        return stop_it(StopReason::Done);
    };
    if now_ms >= h.give_up_ms {
        return stop_it(StopReason::GaveUp);
    }
    if night.quiet && rule.at_night == AtNight::Hold {
        return Action::Wait;
    }
    // Paused: the clock stood still from the due time to now, so the step
    // is taken as if now were its due time, and the rest moves as much.
    let late = if night.pause {
        now_ms.saturating_sub(h.due_ms).max(0)
    } else {
        0
    };
    let steps = schedule(&rule.chain);
    let elapsed = now_ms.saturating_sub(h.base_ms).saturating_sub(late);
    let Some(d) = due(&steps, h.next_step, elapsed) else {
        // Woken with nothing due: the rule's schedule changed since. Look
        // again at its next step, or stop when it has none left.
        return match steps.get(h.next_step) {
            Some(s) => Action::Advance(Advance {
                notification: h.notification.clone(),
                from_step: h.next_step,
                to_step: h.next_step,
                next_due_ms: Some(next_due(h, s.at_ms, 0)),
                paused_ms: 0,
                stage: crate::store::chains::ChainStage::First,
                remind: None,
                escalate: None,
                night: rule.at_night,
            }),
            None => stop_it(StopReason::Done),
        };
    };
    match build(ctx, rule, h, &d, late) {
        Ok(a) => Action::Advance(a),
        Err(e) => {
            tracing::error!(notification = %h.notification, error = %e, "reminder card cannot be made; the chain stops");
            stop_it(StopReason::Done)
        }
    }
}

fn next_due(h: &DueChain, at_ms: i64, late: i64) -> i64 {
    h.base_ms
        .saturating_add(late)
        .saturating_add(at_ms)
        .min(h.give_up_ms)
}

/// The step's cards and recipients.
fn build(
    ctx: &NotifyContext,
    rule: &Rule,
    h: &DueChain,
    d: &Due,
    late: i64,
) -> Result<Advance, crate::notify::card::CardError> {
    let texts = ctx.config.language.catalogue();
    let card = |banner: &str| {
        with_banner(&h.bubble, &h.alt_text, banner)
            .map(|(bubble, alt_text)| StepCard { bubble, alt_text })
    };
    let remind = match d.reminder {
        Some(n) => {
            let banner = fill(texts.chain_reminder, &[("n", &n.to_string())]);
            let to = h.reached.iter().map(|(id, _)| id.clone()).collect();
            Some((to, card(&banner)?))
        }
        None => None,
    };
    let escalate = if d.escalations.is_empty() {
        None
    } else {
        let before: Vec<&str> = h
            .reached
            .iter()
            .map(|(_, name)| name.as_deref().unwrap_or(texts.unknown_user))
            .collect();
        let banner = fill(
            texts.chain_escalation,
            &[("before", &before.join(texts.chain_name_separator))],
        );
        Some((escalation_keys(rule, &d.escalations), card(&banner)?))
    };
    Ok(Advance {
        notification: h.notification.clone(),
        from_step: h.next_step,
        to_step: d.to_step,
        next_due_ms: d.next_at_ms.map(|at| next_due(h, at, late)),
        paused_ms: late,
        stage: d.stage,
        remind,
        escalate,
        night: rule.at_night,
    })
}

/// Whom escalations `ks` (1-based) name, in the store's terms. `field:` is
/// refused for escalations when the config is read.
fn escalation_keys(rule: &Rule, ks: &[u32]) -> Vec<RecipientKey> {
    ks.iter()
        .filter_map(|&k| {
            rule.chain
                .escalate
                .get(usize::try_from(k).ok()?.checked_sub(1)?)
        })
        .flat_map(|e| e.to.iter())
        .filter_map(|r| match r {
            Recipient::Staff(name) => Some(RecipientKey::StaffName(name.clone())),
            Recipient::KintoneUser(code) => Some(RecipientKey::KintoneUsers(vec![code.clone()])),
            Recipient::GroupName(name) => Some(RecipientKey::GroupName(name.clone())),
            Recipient::User(u) => Some(RecipientKey::LineId(u.as_str().to_owned())),
            Recipient::Group(g) => Some(RecipientKey::LineId(g.as_str().to_owned())),
            Recipient::Field(_) => None,
        })
        .collect()
}
