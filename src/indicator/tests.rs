//! The indicator's exact on/off timeline, on paused tokio time with the
//! recording backend.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::backend::{Recorded, Recording};
use super::*;
use crate::config::indicator::QuietHours;
use Output::{Buzzer, Led};

struct Rig {
    handle: IndicatorHandle,
    rec: Arc<Recorded>,
    metrics: Arc<Metrics>,
    requests: mpsc::Receiver<PanelRequest>,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<()>,
    t0: Instant,
}

fn cfg() -> IndicatorConfig {
    IndicatorConfig {
        trouble_after: Duration::from_secs(10),
        ..IndicatorConfig::default()
    }
}

/// Starts the indicator; the wall clock reads `wall` at the start and moves
/// with tokio time.
fn rig_at(cfg: IndicatorConfig, rec: Recorded, wall: &str) -> Rig {
    rig_in(cfg, jiff::tz::TimeZone::UTC, rec, wall)
}

/// [`rig_at`] at a site in `zone` (the top-level `time_zone`).
fn rig_in(cfg: IndicatorConfig, zone: jiff::tz::TimeZone, rec: Recorded, wall: &str) -> Rig {
    let t0 = Instant::now();
    let base: jiff::Timestamp = wall.parse().unwrap();
    let clock: Clock = Arc::new(move || {
        let since = jiff::SignedDuration::try_from(Instant::now() - t0).unwrap();
        base.checked_add(since).unwrap()
    });
    let rec = Arc::new(rec);
    let metrics = Arc::new(Metrics::default());
    let (req_tx, requests) = mpsc::channel(1);
    let shutdown = CancellationToken::new();
    let (handle, actor) = start(
        cfg,
        zone,
        Box::new(Recording(rec.clone())),
        clock,
        metrics.clone(),
        Some(req_tx),
        shutdown.clone(),
    );
    let task = tokio::spawn(actor);
    Rig {
        handle,
        rec,
        metrics,
        requests,
        shutdown,
        task,
        t0,
    }
}

fn rig(cfg: IndicatorConfig) -> Rig {
    rig_at(cfg, Recorded::default(), "2026-11-25T03:00:00Z")
}

impl Rig {
    /// Waits until `ms` after the start.
    async fn at(&self, ms: u64) {
        tokio::time::sleep_until(self.t0 + Duration::from_millis(ms)).await;
    }

    /// Changes at or after `from_ms`, as (ms, output, on).
    fn changes_from(&self, from_ms: u64) -> Vec<(u64, Output, bool)> {
        self.rec
            .changes()
            .into_iter()
            .map(|(t, o, on)| (t.duration_since(self.t0).as_millis() as u64, o, on))
            .filter(|(t, _, _)| *t >= from_ms)
            .collect()
    }

    fn state(&self) -> i64 {
        self.metrics.indicator_state.load(Ordering::Relaxed)
    }

    async fn pending(&self, ms: u64, pending: i64) {
        self.at(ms).await;
        self.handle
            .snapshot(Snapshot {
                pending,
                ..Snapshot::default()
            })
            .await;
    }

    async fn press(&self, down_ms: u64, up_ms: u64) {
        self.at(down_ms).await;
        self.handle.button(true).await;
        self.at(up_ms).await;
        self.handle.button(false).await;
    }
}

#[tokio::test(start_paused = true)]
async fn self_test_then_pending_lights_and_acknowledgement_clears() {
    let r = rig(cfg());
    r.pending(1_000, 2).await;
    r.at(1_500).await;
    assert_eq!(r.state(), 1);
    r.pending(3_000, 0).await;
    r.at(5_000).await;
    assert_eq!(
        r.changes_from(0),
        [
            (0, Led, true),
            (0, Buzzer, true),
            (100, Buzzer, false),
            (150, Led, false),
            (300, Led, true),
            (450, Led, false),
            (600, Led, true),
            (750, Led, false),
            (1_000, Led, true),
            (3_000, Led, false),
        ]
    );
    assert_eq!(r.state(), 0);
}

#[tokio::test(start_paused = true)]
async fn pending_at_start_shows_after_the_self_test() {
    let r = rig(cfg());
    r.pending(200, 1).await;
    r.at(2_000).await;
    let led: Vec<_> = r
        .changes_from(0)
        .into_iter()
        .filter(|c| c.1 == Led)
        .collect();
    assert_eq!(
        led,
        [
            (0, Led, true),
            (150, Led, false),
            (300, Led, true),
            (450, Led, false),
            (600, Led, true),
            (750, Led, false),
            (900, Led, true),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn unreachable_service_blinks_after_the_threshold_and_clears_itself() {
    let r = rig(cfg());
    r.pending(1_000, 1).await;
    r.at(2_000).await;
    let down = Snapshot {
        pending: 1,
        line_down: true,
        ..Snapshot::default()
    };
    r.handle.snapshot(down.clone()).await;
    // Still down at the next refreshes: the threshold counts from the first.
    r.at(6_000).await;
    r.handle.snapshot(down.clone()).await;
    r.at(11_900).await;
    assert_eq!(r.state(), 1, "not yet trouble");
    r.at(12_100).await;
    assert_eq!(r.state(), 2);
    r.pending(12_900, 1).await; // LINE answers again
    r.at(20_000).await;
    assert_eq!(
        r.changes_from(1_000),
        [
            (1_000, Led, true),
            // 12 000: trouble; the LED is already on.
            (12_250, Led, false),
            (12_500, Led, true),
            (12_750, Led, false),
            (12_900, Led, true),
        ]
    );
    assert_eq!(r.state(), 1);
}

#[tokio::test(start_paused = true)]
async fn pubsub_unreachable_blinks_after_its_own_threshold() {
    let r = rig(IndicatorConfig {
        pubsub_trouble_after: Duration::from_secs(30),
        ..cfg()
    });
    r.at(1_000).await;
    let down = Snapshot {
        pubsub_down: true,
        ..Snapshot::default()
    };
    r.handle.snapshot(down.clone()).await;
    r.at(20_000).await;
    r.handle.snapshot(down).await;
    assert_eq!(r.state(), 0, "LINE's 10 s threshold does not apply");
    r.at(31_100).await;
    assert_eq!(r.state(), 2);
    r.pending(31_600, 0).await; // pulled again
    r.at(32_000).await;
    assert_eq!(r.state(), 0);
    assert_eq!(
        r.changes_from(1_000),
        [
            (31_000, Led, true),
            (31_250, Led, false),
            (31_500, Led, true),
            (31_600, Led, false)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn trouble_wins_over_pending_at_once_for_quota_dead_letters_and_store() {
    let r = rig(cfg());
    let causes = [
        Snapshot {
            quota_exhausted: true,
            ..Snapshot::default()
        },
        Snapshot {
            dead_letters: 1,
            ..Snapshot::default()
        },
        Snapshot {
            store_error: true,
            ..Snapshot::default()
        },
    ];
    let mut t = 1_000;
    for cause in causes {
        r.at(t).await;
        r.handle
            .snapshot(Snapshot {
                pending: 3,
                ..cause
            })
            .await;
        r.at(t + 600).await;
        assert_eq!(r.state(), 2);
        r.pending(t + 600, 0).await;
        r.at(t + 700).await;
        assert_eq!(r.state(), 0);
        assert_eq!(
            r.changes_from(t),
            [
                (t, Led, true),
                (t + 250, Led, false),
                (t + 500, Led, true),
                (t + 600, Led, false),
            ]
        );
        t += 1_000;
    }
}

#[tokio::test(start_paused = true)]
async fn new_notification_plays_the_pattern_and_silent_rules_do_not() {
    let r = rig(cfg());
    r.at(1_000).await;
    r.handle.notified(true).await;
    r.at(2_000).await;
    r.handle.notified(false).await;
    r.at(5_000).await;
    assert_eq!(
        r.changes_from(1_000),
        [
            (1_000, Buzzer, true),
            (1_150, Buzzer, false),
            (1_250, Buzzer, true),
            (1_400, Buzzer, false),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn quiet_hours_cross_midnight_in_the_site_time_zone() {
    let mut c = cfg();
    c.quiet_hours = Some(QuietHours {
        from: "22:00".parse().unwrap(),
        to: "07:00".parse().unwrap(),
    });
    // 12:59 UTC is 21:59 in Tokyo.
    let tokyo = jiff::tz::TimeZone::get("Asia/Tokyo").unwrap();
    let r = rig_in(c, tokyo, Recorded::default(), "2026-11-25T12:59:00Z");
    const MIN: u64 = 60_000;
    for at in [
        30_000,        // 21:59:30 — sounds
        2 * MIN,       // 22:01 — quiet
        91 * MIN,      // 00:30 the next day — quiet
        541 * MIN - 1, // 06:59:59.999 — quiet
        541 * MIN,     // 07:00 — sounds
    ] {
        r.at(at).await;
        r.handle.notified(true).await;
    }
    r.at(542 * MIN).await;
    let starts: Vec<u64> = r
        .changes_from(1_000)
        .into_iter()
        .filter(|(_, o, on)| *o == Buzzer && *on)
        .map(|(t, _, _)| t)
        .collect();
    assert_eq!(starts, [30_000, 30_250, 541 * MIN, 541 * MIN + 250]);
}

#[tokio::test(start_paused = true)]
async fn reminder_repeats_while_something_stays_unacknowledged() {
    let mut c = cfg();
    c.reminder = Some(Duration::from_secs(60));
    let r = rig(c);
    r.pending(1_000, 1).await;
    r.pending(150_000, 0).await;
    r.at(300_000).await;
    assert_eq!(
        r.changes_from(1_000),
        [
            (1_000, Led, true),
            (61_000, Buzzer, true),
            (61_080, Buzzer, false),
            (121_000, Buzzer, true),
            (121_080, Buzzer, false),
            (150_000, Led, false),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn short_press_silences_until_the_next_notification() {
    let mut c = cfg();
    c.reminder = Some(Duration::from_secs(60));
    let r = rig(c);
    r.pending(1_000, 1).await;
    r.at(1_000).await;
    r.handle.notified(true).await;
    // A bouncy contact: the edges 10 ms later are ignored.
    r.at(1_050).await;
    r.handle.button(true).await;
    r.at(1_060).await;
    r.handle.button(false).await;
    r.at(1_065).await;
    r.handle.button(true).await;
    r.at(1_100).await;
    r.handle.button(false).await;
    // The reminder at 61 000 stays silent; a new notification sounds again.
    r.at(100_000).await;
    r.handle.notified(true).await;
    r.at(101_000).await;
    assert_eq!(
        r.changes_from(1_000),
        [
            (1_000, Led, true),
            (1_000, Buzzer, true),
            (1_100, Buzzer, false),
            (100_000, Buzzer, true),
            (100_150, Buzzer, false),
            (100_250, Buzzer, true),
            (100_400, Buzzer, false),
        ]
    );
    assert!(r.requests.is_empty(), "a short press acknowledges nothing");
}

#[tokio::test(start_paused = true)]
async fn long_press_asks_for_the_panel_acknowledgement() {
    let mut r = rig(cfg());
    r.press(1_000, 3_500).await;
    r.at(3_600).await;
    assert_eq!(r.requests.try_recv(), Ok(PanelRequest::AcknowledgeAll));
    r.press(5_000, 5_400).await;
    r.at(5_500).await;
    assert!(r.requests.try_recv().is_err());
}

#[tokio::test(start_paused = true)]
async fn shutdown_turns_everything_off() {
    let mut r = rig(cfg());
    r.at(1_000).await;
    r.handle
        .snapshot(Snapshot {
            quota_exhausted: true,
            ..Snapshot::default()
        })
        .await;
    r.handle.notified(true).await;
    r.at(1_050).await;
    r.shutdown.cancel();
    (&mut r.task).await.unwrap();
    assert_eq!(
        r.changes_from(1_000),
        [
            (1_000, Led, true),
            (1_000, Buzzer, true),
            (1_050, Buzzer, false),
            (1_050, Led, false),
        ]
    );
    assert!(*r.rec.closed.lock().unwrap());
    assert_eq!(r.state(), 0);
    // Nothing moves after the stop.
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(r.changes_from(1_051), []);
}

#[tokio::test(start_paused = true)]
async fn hardware_faults_are_retried_and_the_state_reapplied() {
    let rec = Recorded::default();
    *rec.failing_opens.lock().unwrap() = 2;
    let r = rig_at(cfg(), rec, "2026-11-25T03:00:00Z");
    let fault = || r.metrics.indicator_fault.load(Ordering::Relaxed);
    r.pending(1_000, 1).await;
    assert_eq!(fault(), 1);
    // Commands are still taken while the hardware is away.
    r.at(5_900).await;
    assert_eq!(r.state(), 1);
    assert_eq!(*r.rec.opens.lock().unwrap(), 2, "opened at 0 and 2 s");
    r.at(6_100).await;
    assert_eq!(fault(), 0, "third open at 2 s + 4 s succeeds");
    // A write fails (unplugged): closed, reopened 2 s later, state reapplied.
    *r.rec.failing_sets.lock().unwrap() = 1;
    r.pending(7_000, 0).await;
    r.at(7_100).await;
    assert_eq!(fault(), 1);
    // A fault reported by the hardware thread is handled the same way.
    r.at(9_500).await;
    r.rec
        .inject(HwEvent::Fault("button: No such device".into()));
    r.pending(10_000, 1).await;
    r.at(12_000).await;
    assert_eq!(
        r.changes_from(1),
        // Reopened lines start off: nothing to write at 9 000.
        [(6_000, Led, true), (11_500, Led, true)]
    );
    assert_eq!(fault(), 0);
    assert_eq!(*r.rec.opens.lock().unwrap(), 5);
}

#[tokio::test(start_paused = true)]
async fn a_hardware_thread_that_keeps_failing_is_retried_with_backoff() {
    let rec = Recorded {
        reported: true,
        ..Recorded::default()
    };
    *rec.failing_opens.lock().unwrap() = 3;
    let r = rig_at(cfg(), rec, "2026-11-25T03:00:00Z");
    let fault = || r.metrics.indicator_fault.load(Ordering::Relaxed);
    r.pending(1_000, 1).await;
    r.at(13_900).await;
    assert_eq!(fault(), 1);
    assert_eq!(*r.rec.opens.lock().unwrap(), 3, "at 0, 2 s and 6 s");
    r.at(14_100).await;
    assert_eq!(fault(), 0);
    assert_eq!(*r.rec.opens.lock().unwrap(), 4, "then 8 s later");
    assert_eq!(r.changes_from(1), [(14_000, Led, true)]);
}
