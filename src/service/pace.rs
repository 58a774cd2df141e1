//! When a worker loop looks at the store next, and its heartbeat between
//! looks: the loop says how long until its next look (a retry's time, an
//! idle bound), a wake-up brings the look forward, and the loop's heartbeat
//! is kept in the meantime without asking the store anything.

use tokio::sync::Notify;
use tokio::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// The longest wait between two heartbeats: well inside the watchdog's
/// stall limit for a loop (5 s at the least).
const BEAT: Duration = Duration::from_secs(2);

/// A loop's next look.
#[derive(Debug)]
pub struct Pace {
    look_at: Instant,
}

impl Default for Pace {
    /// The first look is due at once.
    fn default() -> Pace {
        Pace {
            look_at: Instant::now(),
        }
    }
}

impl Pace {
    /// Whether the look is due.
    pub fn due(&self) -> bool {
        Instant::now() >= self.look_at
    }

    /// The next look is `wait` from now.
    pub fn next_in(&mut self, wait: Duration) {
        self.look_at = Instant::now() + wait;
    }

    /// Sleeps until the look is due, `wake` is notified (the look is due
    /// then) or a heartbeat is owed; `false` once `shutdown` is cancelled.
    pub async fn wait(&mut self, wake: &Notify, shutdown: &CancellationToken) -> bool {
        let nap = self
            .look_at
            .saturating_duration_since(Instant::now())
            .min(BEAT);
        tokio::select! {
            () = shutdown.cancelled() => false,
            () = wake.notified() => {
                self.look_at = Instant::now();
                true
            }
            () = tokio::time::sleep(nap) => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_wake_up_brings_the_look_forward_and_the_heartbeat_keeps_going() {
        let (wake, shutdown) = (Notify::new(), CancellationToken::new());
        let mut pace = Pace::default();
        assert!(pace.due());
        pace.next_in(Duration::from_secs(10));
        assert!(pace.wait(&wake, &shutdown).await);
        assert!(!pace.due(), "a heartbeat, not the look: 2 of 10 s gone");
        wake.notify_one();
        assert!(pace.wait(&wake, &shutdown).await);
        assert!(pace.due(), "woken: the look is due");
        shutdown.cancel();
        pace.next_in(Duration::from_secs(10));
        assert!(!pace.wait(&wake, &shutdown).await);
    }
}
