//! A long press at the office panel: everything pending is acknowledged and
//! written back to kintone exactly like a LINE acknowledgement, attributed to
//! "office panel". There is no Reply — there is no one to answer and no
//! token — and each one is recorded in the audit log.
//!
//! Safe to repeat: each write-back is keyed `panel:<notification>` (the
//! comment marker), and starts by looking for that marker, so a press
//! interrupted by a crash or a kintone outage is finished by the next press
//! without a second comment.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::ack::writeback::{write_back, Written};
use crate::ack::AckEvent;
use crate::config::Config;
use crate::domain::{AppId, RecordId};
use crate::kintone::client::KintoneClient;
use crate::metrics::Metrics;
use crate::store::audit::AckRecord;
use crate::store::inbox::{InboxRow, Stage};
use crate::store::notifications::NotificationState;
use crate::store::{now_ms, Store};

/// Who the write-back and the audit log name.
pub const ACTOR: &str = "office panel";

/// What a panel acknowledgement needs.
pub struct Panel {
    pub config: Arc<Config>,
    pub store: Store,
    pub kintone: KintoneClient,
    pub metrics: Arc<Metrics>,
    pub events: tokio::sync::broadcast::Sender<AckEvent>,
}

/// How a press went.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PanelOutcome {
    pub acknowledged: usize,
    /// Not written; still pending (the LED stays on, press again later).
    pub failed: usize,
}

impl Panel {
    /// Acknowledges every pending notification.
    pub async fn acknowledge_all(&self) -> PanelOutcome {
        let mut out = PanelOutcome::default();
        let pending = match self.store.pending_notifications().await {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "panel: cannot read pending notifications");
                return out;
            }
        };
        for n in pending {
            match self.one(&n).await {
                Ok(()) => out.acknowledged += 1,
                Err(why) => {
                    tracing::warn!(notification = %n.id, record = n.record, error = %why, "panel acknowledgement not written; it stays pending");
                    out.failed += 1;
                }
            }
        }
        tracing::info!(
            acknowledged = out.acknowledged,
            failed = out.failed,
            "panel acknowledgement"
        );
        out
    }

    async fn one(&self, n: &NotificationState) -> Result<(), String> {
        let app_id = u64::try_from(n.app)
            .ok()
            .and_then(|a| AppId::new(a).ok())
            .ok_or("bad app id")?;
        let record = u64::try_from(n.record)
            .ok()
            .and_then(|r| RecordId::new(r).ok())
            .ok_or("bad record id")?;
        let app = self
            .config
            .app(app_id)
            .ok_or_else(|| format!("app {app_id} is no longer configured"))?;
        let at = now_ms();
        let key = format!("panel:{}", n.id);
        let row = InboxRow {
            // No inbox row: stage updates for seq 0 touch nothing.
            seq: 0,
            event_id: key.clone(),
            kind: "panel".into(),
            json: String::new(),
            event_ts_ms: at,
            received_ms: at,
            // "Maybe written already": look for this key's marker first.
            stage: Stage::Writing,
            writeback_ref: None,
            reply_attempted: true,
            attempts: 0,
        };
        let vars = variables(n, &app.name, at);
        let auth = crate::ack::app_auth(app);
        let result = write_back(
            &self.store,
            &self.kintone,
            &auth,
            &row,
            record,
            &app.ack.method,
            &vars,
        )
        .await;
        let outcome = match &result {
            Ok(Written::Now(_)) => "written".to_owned(),
            Ok(Written::Already) => "already-written".to_owned(),
            // Retryable: nothing to record; the notification stays pending.
            Err(e) if e.is_retryable() => return Err(e.to_string()),
            Err(e) => format!("failed: {e}"),
        };
        let audit = AckRecord {
            at_ms: at,
            event_id: key,
            line_user_id: None,
            actor: ACTOR.to_owned(),
            app: n.app,
            record: n.record,
            notification: n.id.clone(),
            method: app.ack.method.name().to_owned(),
            outcome,
            reply: "none".to_owned(),
        };
        self.store
            .panel_ack(audit)
            .await
            .map_err(|e| e.to_string())?;
        result.map_err(|e| e.to_string())?;
        self.metrics.acks.fetch_add(1, Ordering::Relaxed);
        let _ = self.events.send(AckEvent::Acknowledged {
            notification: n.id.clone(),
        });
        Ok(())
    }
}

fn variables(n: &NotificationState, app_name: &str, at_ms: i64) -> HashMap<&'static str, String> {
    let time = jiff::Timestamp::from_millisecond(at_ms).map_or_else(
        |_| String::new(),
        |t| {
            t.to_zoned_datetime(jiff::tz::TimeZone::system())
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        },
    );
    HashMap::from([
        ("name", ACTOR.to_owned()),
        ("line_user", String::new()),
        ("kintone_user", String::new()),
        ("time", time),
        ("record", n.record.to_string()),
        ("app", n.app.to_string()),
        ("app_name", app_name.to_owned()),
        ("title", n.title.clone()),
        ("notification", n.id.clone()),
    ])
}
