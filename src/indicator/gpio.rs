//! The GPIO character device (`/dev/gpiochip*`) through `gpiocdev`: works on
//! every Linux board, the Raspberry Pi 5 included.
//!
//! Line requests and writes are ioctls, and reading the button waits for
//! edges, so all of it runs on a thread of its own ("indicator-gpio"); the
//! indicator task only sends it messages and never blocks. Faults found on
//! the thread come back as [`HwEvent::Fault`].

use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use gpiocdev::line::{Bias, EdgeDetection, EdgeKind, Value};
use gpiocdev::Request;
use tokio::sync::mpsc::UnboundedSender;

use super::backend::{Backend, HwError, HwEvent, Opening, Output};
use crate::config::indicator::{IndicatorConfig, LineLookup, LineMissing, LineRef, PinSpec};

/// How long the thread waits for a button edge before looking at its inbox.
const POLL: Duration = Duration::from_millis(10);
const CONSUMER: &str = "kintone-line-gateway";

enum Msg {
    Set(Output, bool),
    Stop,
}

/// The gpiocdev backend.
pub struct Gpio {
    led: Option<PinSpec>,
    buzzer: Option<PinSpec>,
    button: Option<PinSpec>,
    debounce: Duration,
    thread: Option<(std_mpsc::Sender<Msg>, JoinHandle<()>)>,
}

impl Gpio {
    pub fn new(c: &IndicatorConfig) -> Gpio {
        Gpio {
            led: c.led.clone(),
            buzzer: c.buzzer.clone(),
            button: c.button.clone(),
            debounce: c.debounce,
            thread: None,
        }
    }
}

impl Backend for Gpio {
    fn open(&mut self, events: UnboundedSender<HwEvent>) -> Result<Opening, HwError> {
        self.close();
        let (tx, rx) = std_mpsc::channel();
        let lines = Lines {
            led: self.led.clone(),
            buzzer: self.buzzer.clone(),
            button: self.button.clone(),
            debounce: self.debounce,
        };
        let handle = std::thread::Builder::new()
            .name("indicator-gpio".into())
            .spawn(move || run(&lines, &rx, &events))
            .map_err(|e| HwError(format!("cannot start the GPIO thread: {e}")))?;
        self.thread = Some((tx, handle));
        Ok(Opening::Reported)
    }

    fn set(&mut self, output: Output, on: bool) -> Result<(), HwError> {
        match &self.thread {
            Some((tx, _)) => tx
                .send(Msg::Set(output, on))
                .map_err(|_| HwError("the GPIO thread has stopped".into())),
            None => Err(HwError("GPIO lines are not open".into())),
        }
    }

    fn close(&mut self) {
        if let Some((tx, handle)) = self.thread.take() {
            let _ = tx.send(Msg::Stop);
            // The thread answers within one POLL; waiting here means the
            // lines are off before the process exits.
            let _ = handle.join();
        }
    }
}

struct Lines {
    led: Option<PinSpec>,
    buzzer: Option<PinSpec>,
    button: Option<PinSpec>,
    debounce: Duration,
}

/// One requested line.
struct Claimed {
    req: Request,
    offset: u32,
}

fn chip_path(chip: &str) -> String {
    if chip.starts_with('/') {
        chip.to_owned()
    } else {
        format!("/dev/{chip}")
    }
}

fn locate(line: &LineRef) -> Result<(String, u32), String> {
    match line {
        LineRef::Named(name) => gpiocdev::find_named_line(name)
            .map(|f| (f.chip.display().to_string(), f.info.offset))
            .ok_or_else(|| no_line(name).to_string()),
        LineRef::ChipOffset { chip, offset } => Ok((chip_path(chip), *offset)),
    }
}

fn no_line(name: &str) -> LineMissing {
    match gpiocdev::chip::chips() {
        Ok(chips) if !chips.is_empty() => LineMissing::NoSuchName {
            name: name.to_owned(),
            chips: chips
                .iter()
                .map(|c| c.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        },
        _ => LineMissing::NoChip,
    }
}

fn claim(spec: &PinSpec, input: Option<Duration>) -> Result<Claimed, String> {
    let (chip, offset) = locate(&spec.line)?;
    let mut b = Request::builder();
    b.on_chip(&chip).with_consumer(CONSUMER).with_line(offset);
    if spec.active_low {
        b.as_active_low();
    }
    match input {
        Some(debounce) => {
            b.as_input()
                .with_bias(Bias::PullUp)
                .with_edge_detection(EdgeDetection::BothEdges);
            if !debounce.is_zero() {
                b.with_debounce_period(debounce);
            }
        }
        None => {
            b.as_output(Value::Inactive);
        }
    }
    let req = b
        .request()
        .map_err(|e| format!("{} ({chip} line {offset}): {e}", spec.line))?;
    Ok(Claimed { req, offset })
}

fn run(lines: &Lines, rx: &std_mpsc::Receiver<Msg>, events: &UnboundedSender<HwEvent>) {
    let fault = |why: String| {
        let _ = events.send(HwEvent::Fault(why));
    };
    let outputs = (|| -> Result<_, String> {
        let led = lines.led.as_ref().map(|s| claim(s, None)).transpose()?;
        let buzzer = lines.buzzer.as_ref().map(|s| claim(s, None)).transpose()?;
        let button = lines
            .button
            .as_ref()
            .map(|s| claim(s, Some(lines.debounce)))
            .transpose()?;
        Ok((led, buzzer, button))
    })();
    let (led, buzzer, button) = match outputs {
        Ok(o) => o,
        Err(e) => return fault(e),
    };
    let _ = events.send(HwEvent::Opened);
    let write = |o: Output, on: bool| -> Result<(), String> {
        let line = match o {
            Output::Led => &led,
            Output::Buzzer => &buzzer,
        };
        let Some(l) = line else { return Ok(()) };
        let v = if on { Value::Active } else { Value::Inactive };
        l.req
            .set_value(l.offset, v)
            .map_err(|e| format!("{o:?}: {e}"))
    };
    let off = || {
        let _ = write(Output::Led, false);
        let _ = write(Output::Buzzer, false);
    };
    loop {
        if let Some(b) = &button {
            match b.req.wait_edge_event(POLL) {
                Ok(true) => match b.req.read_edge_event() {
                    Ok(e) => {
                        let _ = events.send(HwEvent::Button(e.kind == EdgeKind::Rising));
                    }
                    Err(e) => return fault(format!("button: {e}")),
                },
                Ok(false) => {}
                Err(e) => return fault(format!("button: {e}")),
            }
        }
        // Every queued write, then back to the button.
        loop {
            let msg = if button.is_some() {
                match rx.try_recv() {
                    Ok(m) => m,
                    Err(std_mpsc::TryRecvError::Empty) => break,
                    Err(std_mpsc::TryRecvError::Disconnected) => Msg::Stop,
                }
            } else {
                rx.recv().unwrap_or(Msg::Stop)
            };
            match msg {
                Msg::Set(o, on) => {
                    if let Err(e) = write(o, on) {
                        off();
                        return fault(e);
                    }
                }
                Msg::Stop => return off(),
            }
        }
    }
}

/// Looks lines up on this machine's GPIO chips (for `check-config`).
#[derive(Debug, Default)]
pub struct SystemLines;

impl LineLookup for SystemLines {
    fn find(&self, line: &LineRef) -> Result<(), LineMissing> {
        match line {
            LineRef::Named(name) => locate(line).map(|_| ()).map_err(|_| no_line(name)),
            LineRef::ChipOffset { chip, offset } => {
                let path = chip_path(chip);
                let failed = |e: gpiocdev::Error| LineMissing::Chip {
                    path: path.clone(),
                    error: e.to_string(),
                };
                let c = gpiocdev::Chip::from_path(&path).map_err(failed)?;
                let info = c.info().map_err(failed)?;
                if *offset >= info.num_lines {
                    let lines = info.num_lines;
                    return Err(LineMissing::TooFew { path, lines });
                }
                Ok(())
            }
        }
    }
}
