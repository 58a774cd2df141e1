//! What drives the outputs: the GPIO character device, rppal, the terminal,
//! a recorder for tests, or nothing.
//!
//! Rule kept: [`Backend::set`] never blocks. Hardware backends hand their
//! line writes to a thread of their own; faults found there come back as
//! [`HwEvent::Fault`] and are handled like a failed `set`.

use std::io::Write as _;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;

use crate::config::indicator::{BackendKind, IndicatorConfig};

/// An output the indicator drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Output {
    Led,
    Buzzer,
}

/// Something the hardware reports on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HwEvent {
    /// The button changed: `true` pressed, `false` released (before debouncing).
    Button(bool),
    /// The hardware failed (unplugged, permission denied…); it will be reopened.
    Fault(String),
    /// An open that answered [`Opening::Reported`] succeeded.
    Opened,
}

/// How an [`Backend::open`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opening {
    /// The lines are claimed.
    Done,
    /// Claiming goes on elsewhere (a hardware thread); it reports
    /// [`HwEvent::Opened`] or [`HwEvent::Fault`]. Writes sent meanwhile are
    /// applied after the claim.
    Reported,
}

/// Why the hardware could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct HwError(pub String);

/// A set of outputs (and maybe a button).
pub trait Backend: Send {
    /// Claims the lines (all outputs off). Called at start and after a fault;
    /// button edges and later faults are sent to `events`.
    ///
    /// # Errors
    /// The lines cannot be claimed; the caller retries later.
    fn open(&mut self, events: UnboundedSender<HwEvent>) -> Result<Opening, HwError>;
    /// Drives one output. Never blocks.
    ///
    /// # Errors
    /// The write failed; the caller reopens later.
    fn set(&mut self, output: Output, on: bool) -> Result<(), HwError>;
    /// Turns every output off and releases the lines.
    fn close(&mut self);
}

/// Builds the backend the config names.
///
/// # Errors
/// The backend is not available in this build (rppal without its feature,
/// gpio off Linux).
pub fn build(c: &IndicatorConfig) -> Result<Box<dyn Backend>, HwError> {
    match c.backend {
        BackendKind::None => Ok(Box::new(NoHardware)),
        BackendKind::Terminal => Ok(Box::new(Terminal::default())),
        #[cfg(target_os = "linux")]
        BackendKind::Gpio => Ok(Box::new(super::gpio::Gpio::new(c))),
        #[cfg(not(target_os = "linux"))]
        BackendKind::Gpio => Err(HwError("the gpio backend needs Linux".into())),
        #[cfg(feature = "rppal")]
        BackendKind::Rppal => Ok(Box::new(super::rppal::Rppal::new(c))),
        #[cfg(not(feature = "rppal"))]
        BackendKind::Rppal => Err(HwError(
            "this build has no rppal support (cargo feature \"rppal\"); use backend = \"gpio\""
                .into(),
        )),
    }
}

/// `backend = "none"`.
#[derive(Debug, Default)]
pub struct NoHardware;

impl Backend for NoHardware {
    fn open(&mut self, _: UnboundedSender<HwEvent>) -> Result<Opening, HwError> {
        Ok(Opening::Done)
    }
    fn set(&mut self, _: Output, _: bool) -> Result<(), HwError> {
        Ok(())
    }
    fn close(&mut self) {}
}

/// Draws the LED (●/○) and the buzzer (🔔) on stdout, one line per change.
#[derive(Debug, Default)]
pub struct Terminal {
    led: bool,
    buzzer: bool,
}

impl Terminal {
    fn draw(&self) {
        let led = if self.led { "●" } else { "○" };
        let buzzer = if self.buzzer { "🔔" } else { "··" };
        // A closed stdout is not worth failing the indicator over.
        let _ = writeln!(std::io::stdout(), "  [panel] LED {led}  buzzer {buzzer}");
    }
}

impl Backend for Terminal {
    fn open(&mut self, _: UnboundedSender<HwEvent>) -> Result<Opening, HwError> {
        Ok(Opening::Done)
    }
    fn set(&mut self, output: Output, on: bool) -> Result<(), HwError> {
        match output {
            Output::Led => self.led = on,
            Output::Buzzer => self.buzzer = on,
        }
        self.draw();
        Ok(())
    }
    fn close(&mut self) {
        if self.led || self.buzzer {
            self.led = false;
            self.buzzer = false;
            self.draw();
        }
    }
}

/// One change seen by the [`Recording`] backend.
pub type Change = (Instant, Output, bool);

/// Shared state of a [`Recording`] backend, kept by the test.
#[derive(Debug, Default)]
pub struct Recorded {
    pub changes: Mutex<Vec<Change>>,
    /// The next this-many `open`s fail.
    pub failing_opens: Mutex<usize>,
    /// The next this-many `set`s fail.
    pub failing_sets: Mutex<usize>,
    pub opens: Mutex<usize>,
    /// Open like a hardware thread: answer [`Opening::Reported`], then report
    /// the outcome as an event.
    pub reported: bool,
    pub closed: Mutex<bool>,
    /// Where to inject button edges and faults, once opened.
    pub events: Mutex<Option<UnboundedSender<HwEvent>>>,
}

impl Recorded {
    /// Every change so far.
    pub fn changes(&self) -> Vec<Change> {
        self.changes.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Sends an event as the hardware would.
    pub fn inject(&self, e: HwEvent) {
        if let Some(tx) = self.events.lock().ok().and_then(|t| t.clone()) {
            let _ = tx.send(e);
        }
    }
}

/// Records every change with its (tokio) time, for tests.
#[derive(Debug, Clone, Default)]
pub struct Recording(pub Arc<Recorded>);

fn take_failure(slot: &Mutex<usize>) -> bool {
    let Ok(mut n) = slot.lock() else { return false };
    if *n == 0 {
        return false;
    }
    *n -= 1;
    true
}

impl Backend for Recording {
    fn open(&mut self, events: UnboundedSender<HwEvent>) -> Result<Opening, HwError> {
        if let Ok(mut n) = self.0.opens.lock() {
            *n += 1;
        }
        let failed = take_failure(&self.0.failing_opens);
        let why = "/dev/gpiochip0: Permission denied";
        if self.0.reported {
            let _ = events.send(if failed {
                HwEvent::Fault(why.into())
            } else {
                HwEvent::Opened
            });
        } else if failed {
            return Err(HwError(why.into()));
        }
        if let Ok(mut e) = self.0.events.lock() {
            *e = Some(events);
        }
        Ok(if self.0.reported {
            Opening::Reported
        } else {
            Opening::Done
        })
    }
    fn set(&mut self, output: Output, on: bool) -> Result<(), HwError> {
        if take_failure(&self.0.failing_sets) {
            return Err(HwError("line request: No such device".into()));
        }
        if let Ok(mut c) = self.0.changes.lock() {
            c.push((Instant::now(), output, on));
        }
        Ok(())
    }
    fn close(&mut self) {
        if let Ok(mut c) = self.0.closed.lock() {
            *c = true;
        }
    }
}
