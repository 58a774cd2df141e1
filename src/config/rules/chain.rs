//! A rule's follow-ups for a notification nobody acknowledges: reminders
//! (`remind`, `remind_max`), escalations (`escalate`) and when to stop
//! trying (`give_up`). Data only; `notify::chain` turns it into steps.

use std::time::Duration;

use toml::Table;

use super::recipient::Recipient;
use crate::config::reader::{join, Reader};
use crate::config::section_words;
use crate::config::words;

/// Reminders when `remind` is set without `remind_max`.
pub const DEFAULT_REMIND_MAX: u32 = 3;

/// A chain stops this long after its notification unless configured: one
/// working day. A card nobody answered in a day needs a person (the
/// indicator still shows it), not more pushes that cost money each.
pub const DEFAULT_GIVE_UP: Duration = Duration::from_secs(8 * 3600);

/// The shortest interval accepted: shorter would push faster than the
/// outbox's pacing batches, costing a message each time.
const MIN_INTERVAL: Duration = Duration::from_secs(60);

/// A rule's follow-ups; `is_empty()` when it has none (no chain is made).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainRule {
    /// Push the same card again this often while nobody acknowledges it.
    pub remind: Option<Duration>,
    pub remind_max: u32,
    /// Escalations by `after`, earliest first.
    pub escalate: Vec<Escalation>,
    pub give_up: Duration,
}

impl Default for ChainRule {
    fn default() -> Self {
        ChainRule {
            remind: None,
            remind_max: DEFAULT_REMIND_MAX,
            escalate: Vec::new(),
            give_up: DEFAULT_GIVE_UP,
        }
    }
}

impl ChainRule {
    /// Whether the rule has no follow-ups at all.
    pub fn is_empty(&self) -> bool {
        (self.remind.is_none() || self.remind_max == 0) && self.escalate.is_empty()
    }
}

/// One escalation: `after` this long, push to `to` too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalation {
    pub after: Duration,
    pub to: Vec<Recipient>,
}

/// Reads the chain keys of rule table `t` (prefix `p`, e.g. `rules[0]`).
pub fn read_chain(r: &mut Reader, t: &Table, p: &str) -> ChainRule {
    let mut c = ChainRule::default();
    if let Some(d) = r.opt_duration(t, p, "remind") {
        check_interval(r, p, "remind", d);
        c.remind = Some(d);
    }
    if let Some(n) = r.opt_int(t, p, "remind_max") {
        match u32::try_from(n) {
            Ok(n) if n <= 20 => c.remind_max = n,
            _ => r.said(join(p, "remind_max"), &section_words::REMIND_MAX, &[]),
        }
        if c.remind.is_none() {
            r.said(join(p, "remind_max"), &section_words::REMIND_TOO, &[]);
        }
    }
    c.escalate = read_escalations(r, t, p);
    if let Some(d) = r.opt_duration(t, p, "give_up") {
        check_interval(r, p, "give_up", d);
        c.give_up = d;
    }
    c
}

fn check_interval(r: &mut Reader, p: &str, key: &str, d: Duration) {
    if d < MIN_INTERVAL {
        r.said(join(p, key), &words::AT_LEAST, &[("min", "1m")]);
    }
}

/// `escalate = [{ after = "30m", to = [...] }, ...]`: strictly later each.
fn read_escalations(r: &mut Reader, t: &Table, p: &str) -> Vec<Escalation> {
    let mut out: Vec<Escalation> = Vec::new();
    for (k, e) in r.tables(t, p, "escalate").into_iter().enumerate() {
        let ep = format!("{}[{k}]", join(p, "escalate"));
        r.unknown_keys(e, &ep, &["after", "to"]);
        let Some(after) = r.opt_duration(e, &ep, "after") else {
            if !e.contains_key("after") {
                r.said(join(&ep, "after"), &section_words::AFTER_MISSING, &[]);
            }
            continue;
        };
        check_interval(r, &ep, "after", after);
        if out.last().is_some_and(|prev| prev.after >= after) {
            r.said(join(&ep, "after"), &section_words::AFTER_LATER, &[]);
        }
        let to = read_to(r, e, &ep);
        out.push(Escalation { after, to });
    }
    out
}

/// An escalation's `to`: fixed people or groups. `field:` is refused: an
/// escalation is made long after the record was read.
fn read_to(r: &mut Reader, e: &Table, ep: &str) -> Vec<Recipient> {
    let key = join(ep, "to");
    let names = r.opt_strings(e, ep, "to").unwrap_or_default();
    if names.is_empty() {
        r.said(key.clone(), &section_words::ESCALATE_NOBODY, &[]);
    }
    names
        .iter()
        .enumerate()
        .filter_map(|(j, s)| match Recipient::parse_in(s, r.language) {
            Ok(Recipient::Field(_)) => {
                r.said(format!("{key}[{j}]"), &section_words::ESCALATE_FIELD, &[]);
                None
            }
            Ok(who) => Some(who),
            Err(e) => {
                r.problem(format!("{key}[{j}]"), e);
                None
            }
        })
        .collect()
}
