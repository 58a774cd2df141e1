//! The `rppal` backend (cargo feature `rppal`), for users who want the crate
//! the original design named. rppal is unmaintained since 2025-07 and knows
//! only the boards it was taught: on anything else `Gpio::new()` fails, and
//! that failure is reported (and retried) like any other hardware fault —
//! never a panic. Pins are BCM numbers (`GPIO17` → 17).
//!
//! rppal writes through memory-mapped registers (no waiting), and button
//! edges arrive on rppal's own interrupt thread, so nothing here blocks.

use std::time::Duration;

use rppal::gpio::{Gpio, InputPin, Level, OutputPin, Trigger};
use tokio::sync::mpsc::UnboundedSender;

use super::backend::{Backend, HwError, HwEvent, Opening, Output};
use crate::config::indicator::{bcm_number, IndicatorConfig, PinSpec};

/// An output pin and its polarity.
struct Out {
    pin: OutputPin,
    active_low: bool,
}

/// The rppal backend.
pub struct Rppal {
    led: Option<PinSpec>,
    buzzer: Option<PinSpec>,
    button: Option<PinSpec>,
    debounce: Duration,
    outs: [Option<Out>; 2],
    input: Option<InputPin>,
}

impl Rppal {
    pub fn new(c: &IndicatorConfig) -> Rppal {
        Rppal {
            led: c.led.clone(),
            buzzer: c.buzzer.clone(),
            button: c.button.clone(),
            debounce: c.debounce,
            outs: [None, None],
            input: None,
        }
    }
}

fn err(what: &str, e: &rppal::gpio::Error) -> HwError {
    HwError(format!("rppal: {what}: {e}"))
}

fn output(gpio: &Gpio, spec: &PinSpec) -> Result<Out, HwError> {
    let n =
        bcm_number(&spec.line).ok_or_else(|| HwError(format!("{}: not a BCM line", spec.line)))?;
    let pin = gpio.get(n).map_err(|e| err(&format!("GPIO{n}"), &e))?;
    let mut pin = if spec.active_low {
        pin.into_output_high()
    } else {
        pin.into_output_low()
    };
    pin.set_reset_on_drop(false);
    Ok(Out {
        pin,
        active_low: spec.active_low,
    })
}

impl Backend for Rppal {
    fn open(&mut self, events: UnboundedSender<HwEvent>) -> Result<Opening, HwError> {
        self.close();
        // Fails on boards rppal does not know ("Unknown Raspberry Pi model").
        let gpio = Gpio::new().map_err(|e| err("cannot open the GPIO", &e))?;
        self.outs[0] = self.led.as_ref().map(|s| output(&gpio, s)).transpose()?;
        self.outs[1] = self.buzzer.as_ref().map(|s| output(&gpio, s)).transpose()?;
        if let Some(spec) = &self.button {
            let n = bcm_number(&spec.line)
                .ok_or_else(|| HwError(format!("{}: not a BCM line", spec.line)))?;
            let mut pin = gpio
                .get(n)
                .map_err(|e| err(&format!("GPIO{n}"), &e))?
                .into_input_pullup();
            let low = spec.active_low;
            let debounce = (!self.debounce.is_zero()).then_some(self.debounce);
            pin.set_async_interrupt(Trigger::Both, debounce, move |e| {
                let pressed = (e.trigger == Trigger::FallingEdge) == low;
                let _ = events.send(HwEvent::Button(pressed));
            })
            .map_err(|e| err("button interrupt", &e))?;
            self.input = Some(pin);
        }
        Ok(Opening::Done)
    }

    fn set(&mut self, output: Output, on: bool) -> Result<(), HwError> {
        let slot = match output {
            Output::Led => &mut self.outs[0],
            Output::Buzzer => &mut self.outs[1],
        };
        if let Some(o) = slot {
            let level = if on != o.active_low {
                Level::High
            } else {
                Level::Low
            };
            o.pin.write(level);
        }
        Ok(())
    }

    fn close(&mut self) {
        for o in self.outs.iter_mut().flatten() {
            o.pin.write(if o.active_low {
                Level::High
            } else {
                Level::Low
            });
        }
        self.outs = [None, None];
        self.input = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Off a Raspberry Pi (CI, a desktop, an unknown board) rppal refuses to
    /// start: that must come back as an error to log and retry, not a panic.
    #[test]
    fn an_unknown_board_is_an_error_not_a_panic() {
        if std::fs::read_to_string("/proc/device-tree/model").is_ok_and(|m| m.contains("Raspberry"))
        {
            return; // On a Pi this would drive real pins.
        }
        let (cfg, problems) = crate::config::indicator::tests::read(
            "[indicator]\nbackend = \"rppal\"\nled = \"GPIO17\"",
        );
        assert!(problems.is_empty(), "{problems:?}");
        let mut backend = Rppal::new(&cfg);
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let e = backend.open(tx).expect_err("no Raspberry Pi here");
        assert!(e.0.starts_with("rppal: cannot open the GPIO: "), "{}", e.0);
    }
}
