//! A rule's follow-ups as one timeline of steps, and which of them are due:
//! pure, so the catch-up rule is tested without a clock.
//!
//! Catch-up: the steps due at one look go out as ONE step — a board that was
//! off for an hour sends one reminder, not four — carrying every escalation
//! among them, so nobody an escalation names is skipped.

use crate::clock::millis;
use crate::config::rules::ChainRule;
use crate::store::chains::{ChainStage, NewChain};

/// One step: `at_ms` after the notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub at_ms: i64,
    pub stage: ChainStage,
}

/// The steps of `rule` before its `give_up`, in time order (an escalation
/// before a reminder due at the same time).
pub fn schedule(rule: &ChainRule) -> Vec<Step> {
    let give_up = millis(rule.give_up);
    let mut steps: Vec<Step> = rule
        .escalate
        .iter()
        .zip(1..)
        .map(|(e, k)| Step {
            at_ms: millis(e.after),
            stage: ChainStage::Escalation(k),
        })
        .collect();
    if let Some(every) = rule.remind.map(millis) {
        steps.extend((1..=rule.remind_max).map(|n| Step {
            at_ms: every.saturating_mul(i64::from(n)),
            stage: ChainStage::Reminder(n),
        }));
    }
    steps.sort_by_key(|s| (s.at_ms, matches!(s.stage, ChainStage::Reminder(_))));
    steps.retain(|s| s.at_ms < give_up);
    steps
}

/// The chain a notification of `rule` starts, `None` without steps.
pub fn new_chain(rule: &ChainRule, field: &str) -> Option<NewChain> {
    let first = schedule(rule).first()?.at_ms;
    Some(NewChain {
        field: field.to_owned(),
        first_after_ms: first,
        give_up_after_ms: millis(rule.give_up),
    })
}

/// The due steps, collapsed into the one that goes out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// The index after the last due step.
    pub to_step: usize,
    /// The latest due step (what the chain shows it is at).
    pub stage: ChainStage,
    /// The latest due reminder, if any reminder is due.
    pub reminder: Option<u32>,
    /// Every due escalation (1-based), in order.
    pub escalations: Vec<u32>,
    /// When the next step is due, after the notification; `None`: none left.
    pub next_at_ms: Option<i64>,
}

/// What is due `elapsed_ms` after the notification, from step `from` on;
/// `None` if nothing is yet.
pub fn due(steps: &[Step], from: usize, elapsed_ms: i64) -> Option<Due> {
    let rest = steps.get(from..)?;
    let n = rest.iter().take_while(|s| s.at_ms <= elapsed_ms).count();
    let last = rest.get(n.checked_sub(1)?)?;
    let mut d = Due {
        to_step: from + n,
        stage: last.stage,
        reminder: None,
        escalations: Vec::new(),
        next_at_ms: rest.get(n).map(|s| s.at_ms),
    };
    for s in &rest[..n] {
        match s.stage {
            ChainStage::Reminder(r) => d.reminder = Some(r),
            ChainStage::Escalation(k) => d.escalations.push(k),
            ChainStage::First => {}
        }
    }
    Some(d)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::config::rules::{Escalation, Recipient};

    const MIN: i64 = 60_000;

    fn rule(give_up_min: u64) -> ChainRule {
        let esc = |m: u64| Escalation {
            after: Duration::from_secs(m * 60),
            to: vec![Recipient::Staff("Boss".into())],
        };
        ChainRule {
            remind: Some(Duration::from_secs(15 * 60)),
            remind_max: 3,
            escalate: vec![esc(30), esc(120)],
            give_up: Duration::from_secs(give_up_min * 60),
        }
    }

    #[test]
    fn reminders_and_escalations_form_one_timeline_cut_at_give_up() {
        let at: Vec<(i64, ChainStage)> = schedule(&rule(100))
            .iter()
            .map(|s| (s.at_ms / MIN, s.stage))
            .collect();
        assert_eq!(
            at,
            [
                (15, ChainStage::Reminder(1)),
                (30, ChainStage::Escalation(1)),
                (30, ChainStage::Reminder(2)),
                (45, ChainStage::Reminder(3)),
            ],
            "the 2h escalation is past give_up"
        );
    }

    #[test]
    fn steps_missed_while_off_go_out_once_with_every_escalation() {
        let steps = schedule(&rule(480));
        assert_eq!(due(&steps, 0, 14 * MIN), None, "nothing yet");
        let one = due(&steps, 0, 16 * MIN).expect("reminder 1");
        assert_eq!((one.to_step, one.reminder), (1, Some(1)));
        assert!(one.escalations.is_empty());
        assert_eq!(one.next_at_ms, Some(30 * MIN));
        // Off from minute 16 to minute 50: one step, reminder 3 and escalation 1.
        let caught = due(&steps, 1, 50 * MIN).expect("catch-up");
        assert_eq!(caught.to_step, 4);
        assert_eq!(caught.stage, ChainStage::Reminder(3));
        assert_eq!(caught.reminder, Some(3));
        assert_eq!(caught.escalations, [1]);
        assert_eq!(caught.next_at_ms, Some(120 * MIN));
        let last = due(&steps, 4, 130 * MIN).expect("escalation 2");
        assert_eq!(
            (last.stage, last.next_at_ms),
            (ChainStage::Escalation(2), None)
        );
        assert_eq!(due(&steps, 5, 999 * MIN), None, "nothing after the last");
    }

    #[test]
    fn a_rule_without_follow_ups_makes_no_chain() {
        assert_eq!(new_chain(&ChainRule::default(), "STATUS"), None);
        let c = new_chain(&rule(480), "STATUS").expect("chain");
        assert_eq!(
            (c.first_after_ms, c.give_up_after_ms),
            (15 * MIN, 480 * MIN)
        );
    }
}
