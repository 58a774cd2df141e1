//! What the LED shows, derived from the latest [`Snapshot`] and from how long
//! LINE, kintone and Pub/Sub have been down. Pure: the actor passes the time
//! in.

use std::time::Duration;

use tokio::time::Instant;

use super::Snapshot;
use crate::config::indicator::IndicatorConfig;

/// What the LED shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Light {
    Off,
    /// Notifications wait to be acknowledged.
    On,
    /// Something needs a person: blinks.
    Trouble,
}

impl Light {
    /// The `indicator_state` gauge: 0 off, 1 on, 2 trouble.
    pub fn metric(self) -> i64 {
        match self {
            Light::Off => 0,
            Light::On => 1,
            Light::Trouble => 2,
        }
    }
}

/// How long an outage lasts before it is trouble.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// LINE and kintone (`[indicator] trouble_after`).
    pub services: Duration,
    /// Pub/Sub (`[ingress.pubsub] trouble_after`).
    pub pubsub: Duration,
}

impl Thresholds {
    pub fn of(c: &IndicatorConfig) -> Thresholds {
        Thresholds {
            services: c.trouble_after,
            pubsub: c.pubsub_trouble_after,
        }
    }
}

/// The latest snapshot and since when each service has been down.
#[derive(Debug, Default)]
pub struct Health {
    snapshot: Snapshot,
    line_down_since: Option<Instant>,
    kintone_down_since: Option<Instant>,
    pubsub_down_since: Option<Instant>,
}

impl Health {
    /// Takes a new snapshot; an outage counts from the first snapshot that
    /// showed it.
    pub fn update(&mut self, s: Snapshot, now: Instant) {
        let since = |down: bool, was: Option<Instant>| down.then(|| was.unwrap_or(now));
        self.line_down_since = since(s.line_down, self.line_down_since);
        self.kintone_down_since = since(s.kintone_down, self.kintone_down_since);
        self.pubsub_down_since = since(s.pubsub_down, self.pubsub_down_since);
        self.snapshot = s;
    }

    /// Unacknowledged notifications.
    pub fn pending(&self) -> i64 {
        self.snapshot.pending
    }

    /// The light, and the causes of trouble. Trouble wins over pending.
    pub fn light(&self, now: Instant, after: &Thresholds) -> (Light, Vec<&'static str>) {
        let long =
            |since: Option<Instant>, after: Duration| since.is_some_and(|s| now >= s + after);
        let s = &self.snapshot;
        let causes: Vec<&'static str> = [
            (
                long(self.line_down_since, after.services),
                "LINE unreachable",
            ),
            (
                long(self.kintone_down_since, after.services),
                "kintone unreachable",
            ),
            (
                long(self.pubsub_down_since, after.pubsub),
                "Pub/Sub unreachable",
            ),
            (s.quota_exhausted, "monthly quota exhausted"),
            (s.dead_letters > 0, "dead-lettered messages"),
            (s.store_error, "store errors"),
        ]
        .into_iter()
        .filter_map(|(on, why)| on.then_some(why))
        .collect();
        let light = if !causes.is_empty() {
            Light::Trouble
        } else if s.pending > 0 {
            Light::On
        } else {
            Light::Off
        };
        (light, causes)
    }

    /// When an outage still under the threshold will cross it.
    pub fn next_change(&self, now: Instant, after: &Thresholds) -> Option<Instant> {
        [
            (self.line_down_since, after.services),
            (self.kintone_down_since, after.services),
            (self.pubsub_down_since, after.pubsub),
        ]
        .into_iter()
        .filter_map(|(since, after)| since.map(|s| s + after))
        .filter(|t| *t > now)
        .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trouble_wins_and_outages_count_from_their_start() {
        let t0 = Instant::now();
        let after = &Thresholds {
            services: Duration::from_secs(10),
            pubsub: Duration::from_secs(30),
        };
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut h = Health::default();
        assert_eq!(h.light(t0, after), (Light::Off, vec![]));
        let down = Snapshot {
            pending: 2,
            kintone_down: true,
            ..Snapshot::default()
        };
        h.update(down.clone(), at(0));
        h.update(down, at(5));
        assert_eq!(h.light(at(9), after).0, Light::On);
        assert_eq!(h.next_change(at(9), after), Some(at(10)));
        assert_eq!(
            h.light(at(10), after),
            (Light::Trouble, vec!["kintone unreachable"])
        );
        assert_eq!(h.next_change(at(10), after), None);
        h.update(
            Snapshot {
                pending: 2,
                quota_exhausted: true,
                store_error: true,
                ..Snapshot::default()
            },
            at(11),
        );
        assert_eq!(
            h.light(at(11), after),
            (
                Light::Trouble,
                vec!["monthly quota exhausted", "store errors"]
            )
        );
        h.update(Snapshot::default(), at(12));
        assert_eq!(h.light(at(12), after), (Light::Off, vec![]));
        assert_eq!(h.pending(), 0);
    }

    #[test]
    fn pubsub_has_its_own_threshold() {
        let t0 = Instant::now();
        let after = &Thresholds {
            services: Duration::from_secs(10),
            pubsub: Duration::from_secs(30),
        };
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut h = Health::default();
        let down = Snapshot {
            pubsub_down: true,
            ..Snapshot::default()
        };
        h.update(down.clone(), at(0));
        h.update(down, at(20));
        assert_eq!(
            h.light(at(29), after),
            (Light::Off, vec![]),
            "LINE's 10 s do not apply"
        );
        assert_eq!(h.next_change(at(29), after), Some(at(30)));
        assert_eq!(
            h.light(at(30), after),
            (Light::Trouble, vec!["Pub/Sub unreachable"])
        );
        h.update(Snapshot::default(), at(31));
        assert_eq!(h.light(at(31), after), (Light::Off, vec![]));
    }
}
