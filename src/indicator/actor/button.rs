//! The panel button: debounced edges; a short press silences the buzzer
//! until the next notification, a long one asks the link task to
//! acknowledge everything pending.

use std::time::Duration;

use tokio::time::Instant;

use super::Actor;
use crate::indicator::PanelRequest;

impl Actor {
    /// A button edge: debounced; a release ends a press.
    pub(super) fn button(&mut self, pressed: bool, now: Instant) {
        if self
            .last_edge
            .is_some_and(|t| now.duration_since(t) < self.cfg.debounce)
        {
            return;
        }
        self.last_edge = Some(now);
        if pressed {
            self.pressed_at.get_or_insert(now);
        } else if let Some(at) = self.pressed_at.take() {
            self.press(now.duration_since(at));
        }
    }

    fn press(&mut self, held: Duration) {
        if held < self.cfg.long_press {
            tracing::info!("panel button: buzzer silenced until the next notification");
            self.silenced = true;
            self.stop_buzzer();
            return;
        }
        tracing::info!("panel button held: acknowledging everything pending");
        self.stop_buzzer();
        let sent = self
            .panel
            .as_ref()
            .is_some_and(|p| p.try_send(PanelRequest::AcknowledgeAll).is_ok());
        if !sent {
            tracing::warn!("panel acknowledgement is not available or already running");
        }
    }
}
