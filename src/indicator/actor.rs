//! The one task that owns the lines. It keeps what the LED and buzzer should
//! show, plays patterns on `tokio::time` (so tests pause and advance it), and
//! turns button edges into silence or an acknowledgement request.
//!
//! Rule kept: it never awaits anything but its own channels and timers — the
//! store and kintone are the link task's business — so its timeline depends
//! only on the commands it receives.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use jiff::tz::TimeZone;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::backend::{Backend, HwEvent, Output};
use super::light::{Health, Light, Thresholds};
use super::program::Program;
use super::{Clock, Command, PanelRequest, Snapshot};
use crate::config::indicator::IndicatorConfig;
use crate::metrics::Metrics;

/// The trouble blink: fast and even, unlike the steady "pending" light.
pub const BLINK: Duration = Duration::from_millis(250);
/// The start-up self-test: three LED flashes and one short beep.
pub const SELF_TEST_STEP: Duration = Duration::from_millis(150);
pub const SELF_TEST_BEEP: Duration = Duration::from_millis(100);
/// Reopening failed hardware: first after this, doubling up to a minute.
pub const RETRY_FIRST: Duration = Duration::from_secs(2);
const RETRY_MAX: Duration = Duration::from_secs(60);

mod button;
mod lines;

use lines::idx;

pub(super) struct Actor {
    cfg: IndicatorConfig,
    /// The site's zone (the top-level `time_zone`): quiet hours are read in it.
    zone: TimeZone,
    backend: Box<dyn Backend>,
    clock: Clock,
    metrics: Arc<Metrics>,
    panel: Option<mpsc::Sender<PanelRequest>>,
    hw_tx: mpsc::UnboundedSender<HwEvent>,
    hw_rx: mpsc::UnboundedReceiver<HwEvent>,
    health: Health,
    light: Light,
    led_test: Program,
    blink_at: Option<Instant>,
    buzz: Program,
    reminder_at: Option<Instant>,
    silenced: bool,
    pressed_at: Option<Instant>,
    last_edge: Option<Instant>,
    /// Wanted and hardware state of [LED, buzzer]; `None`: unknown.
    want: [bool; 2],
    have: [Option<bool>; 2],
    fault: Option<String>,
    retry_at: Option<Instant>,
    retry_delay: Duration,
}

impl Actor {
    pub fn new(
        cfg: IndicatorConfig,
        zone: TimeZone,
        backend: Box<dyn Backend>,
        clock: Clock,
        metrics: Arc<Metrics>,
        panel: Option<mpsc::Sender<PanelRequest>>,
    ) -> Actor {
        let (hw_tx, hw_rx) = mpsc::unbounded_channel();
        Actor {
            cfg,
            zone,
            backend,
            clock,
            metrics,
            panel,
            hw_tx,
            hw_rx,
            health: Health::default(),
            light: Light::Off,
            led_test: Program::default(),
            blink_at: None,
            buzz: Program::default(),
            reminder_at: None,
            silenced: false,
            pressed_at: None,
            last_edge: None,
            want: [false; 2],
            have: [None; 2],
            fault: None,
            retry_at: None,
            retry_delay: RETRY_FIRST,
        }
    }

    /// Runs until `shutdown` or until every handle is gone; outputs end off.
    pub async fn run(mut self, mut rx: mpsc::Receiver<Command>, shutdown: CancellationToken) {
        self.open();
        self.self_test();
        loop {
            self.show(Instant::now());
            let next = self.next_wake();
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                cmd = rx.recv() => match cmd {
                    Some(c) => self.command(c),
                    None => break,
                },
                Some(e) = self.hw_rx.recv() => self.hardware(e),
                () = sleep_until(next) => self.tick(),
            }
        }
        self.turn_off();
    }

    fn next_wake(&self) -> Option<Instant> {
        [
            self.led_test.next,
            self.blink_at,
            self.buzz.next,
            self.reminder_at,
            self.retry_at,
            self.health
                .next_change(Instant::now(), &Thresholds::of(&self.cfg)),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn command(&mut self, c: Command) {
        let now = Instant::now();
        match c {
            Command::Snapshot(s) => self.snapshot(s, now),
            Command::Notified { buzz } => {
                // A new notification ends a silence.
                self.silenced = false;
                if buzz {
                    let pattern = self.cfg.buzzer_pattern.clone();
                    self.play(&pattern, now, "new notification");
                }
                if let Some(every) = self.cfg.reminder {
                    self.reminder_at = Some(now + every);
                }
            }
            Command::Hardware(e) => self.hardware(e),
            Command::Settings(cfg) => self.retune(*cfg, now),
        }
    }

    /// A reload's settings; the backend and lines opened at start stay.
    fn retune(&mut self, cfg: IndicatorConfig, now: Instant) {
        let opened = std::mem::take(&mut self.cfg);
        self.cfg = IndicatorConfig {
            backend: opened.backend,
            led: opened.led,
            buzzer: opened.buzzer,
            button: opened.button,
            ..cfg
        };
        // A reminder already waiting comes at the new pace.
        if self.reminder_at.is_some() {
            self.reminder_at = self.cfg.reminder.map(|every| now + every);
        }
    }

    fn snapshot(&mut self, s: Snapshot, now: Instant) {
        if s.pending == 0 {
            self.reminder_at = None;
        } else if self.reminder_at.is_none() {
            self.reminder_at = self.cfg.reminder.map(|every| now + every);
        }
        self.health.update(s, now);
    }

    /// Brings the LED in line with the wanted light (unless the self-test runs).
    fn show(&mut self, now: Instant) {
        let (light, causes) = self.health.light(now, &Thresholds::of(&self.cfg));
        if light == self.light {
            return;
        }
        match light {
            Light::Trouble => tracing::warn!(causes = %causes.join(", "), "indicator: trouble"),
            _ => tracing::info!(state = ?light, "indicator"),
        }
        self.light = light;
        self.metrics
            .indicator_state
            .store(light.metric(), Ordering::Relaxed);
        if !self.led_test.running() {
            self.follow_light(now);
        }
    }

    fn follow_light(&mut self, now: Instant) {
        self.blink_at = None;
        match self.light {
            Light::Off => self.set(Output::Led, false),
            Light::On => self.set(Output::Led, true),
            Light::Trouble => {
                self.set(Output::Led, true);
                self.blink_at = Some(now + BLINK);
            }
        }
    }

    fn self_test(&mut self) {
        let now = Instant::now();
        // Three flashes; the last "off" is the gap before the real state shows.
        let (test, first) = Program::start(&[SELF_TEST_STEP; 6], now);
        self.led_test = test;
        self.set(Output::Led, first);
        self.play(&[SELF_TEST_BEEP], now, "self-test");
    }

    fn quiet(&self) -> bool {
        self.cfg
            .quiet_hours
            .as_ref()
            .is_some_and(|q| q.contains((self.clock)(), &self.zone))
    }

    fn play(&mut self, pattern: &[Duration], now: Instant, why: &str) {
        if self.silenced {
            tracing::debug!(why, "buzzer silenced from the panel");
            return;
        }
        if self.quiet() {
            tracing::debug!(why, "quiet hours: buzzer stays off");
            return;
        }
        let (buzz, first) = Program::start(pattern, now);
        self.buzz = buzz;
        self.set(Output::Buzzer, first);
    }

    fn stop_buzzer(&mut self) {
        self.buzz = Program::default();
        self.set(Output::Buzzer, false);
    }

    fn tick(&mut self) {
        let now = Instant::now();
        if self.led_test.due(now) {
            match self.led_test.step() {
                Some(on) => self.set(Output::Led, on),
                None => self.follow_light(now),
            }
        }
        if let Some(t) = self.blink_at.filter(|t| *t <= now) {
            let on = !self.want[idx(Output::Led)];
            self.set(Output::Led, on);
            self.blink_at = Some(t + BLINK);
        }
        if self.buzz.due(now) {
            let on = self.buzz.step().unwrap_or(false);
            self.set(Output::Buzzer, on);
        }
        if let Some(t) = self.reminder_at.filter(|t| *t <= now) {
            self.reminder_at = self.cfg.reminder.map(|every| t + every);
            if self.health.pending() > 0 {
                let pattern = self.cfg.reminder_pattern.clone();
                self.play(&pattern, now, "reminder");
            }
        }
        if self.retry_at.is_some_and(|t| t <= now) {
            self.retry_at = None;
            self.open();
        }
    }

    fn hardware(&mut self, e: HwEvent) {
        let now = Instant::now();
        match e {
            HwEvent::Fault(why) => self.fail(why),
            HwEvent::Opened => self.opened(),
            HwEvent::Button(pressed) => self.button(pressed, now),
        }
    }

    fn turn_off(&mut self) {
        self.led_test = Program::default();
        self.blink_at = None;
        self.stop_buzzer();
        self.set(Output::Led, false);
        self.backend.close();
        self.metrics.indicator_state.store(0, Ordering::Relaxed);
        tracing::debug!("indicator outputs off");
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}
