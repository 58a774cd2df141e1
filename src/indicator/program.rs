//! A finite on/off program for one output (a buzzer pattern, the self-test
//! flashes), timed on `tokio::time` from deadline to deadline so it never
//! drifts. Every program ends, and its last step is followed by "off".

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// Steps still to play; the front one is playing now.
#[derive(Debug, Default)]
pub struct Program {
    steps: VecDeque<(bool, Duration)>,
    /// When the current step ends.
    pub next: Option<Instant>,
}

impl Program {
    /// On, off, on … durations, starting now; the output value to start with.
    pub fn start(pattern: &[Duration], now: Instant) -> (Program, bool) {
        let steps: VecDeque<_> = pattern
            .iter()
            .enumerate()
            .map(|(i, d)| (i % 2 == 0, *d))
            .collect();
        let next = steps.front().map(|(_, d)| now + *d);
        let first = steps.front().is_some_and(|(on, _)| *on);
        (Program { steps, next }, first)
    }

    /// Whether a step is still playing.
    pub fn running(&self) -> bool {
        self.next.is_some()
    }

    /// Whether the current step has ended by `now`.
    pub fn due(&self, now: Instant) -> bool {
        self.next.is_some_and(|t| t <= now)
    }

    /// Moves to the next step: its output value, or `None` at the end.
    pub fn step(&mut self) -> Option<bool> {
        self.steps.pop_front();
        match (self.steps.front(), self.next) {
            (Some((on, d)), Some(t)) => {
                self.next = Some(t + *d);
                Some(*on)
            }
            _ => {
                *self = Program::default();
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_alternate_from_deadline_to_deadline_and_end() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let (mut p, first) = Program::start(&[ms(100), ms(50), ms(200)], t0);
        assert!(first);
        assert_eq!(p.next, Some(t0 + ms(100)));
        assert!(!p.due(t0 + ms(99)) && p.due(t0 + ms(100)));
        assert_eq!(p.step(), Some(false));
        assert_eq!(p.next, Some(t0 + ms(150)));
        assert_eq!(p.step(), Some(true));
        assert_eq!(p.next, Some(t0 + ms(350)));
        assert_eq!(p.step(), None);
        assert!(!p.running());
    }
}
