//! A long press at the office panel: everything pending is acknowledged and
//! written back to kintone exactly like a LINE acknowledgement, attributed to
//! "office panel". There is no Reply — there is no one to answer and no
//! token — and each one is recorded in the audit log.
//!
//! A press covers what was pending at that moment. Write-backs kintone could
//! not take now (busy, unreachable) are retried with backoff — only for those
//! notifications, and only while nobody else has acknowledged them.
//!
//! Safe to repeat: each write-back is keyed `panel:<notification>` (the
//! comment marker), and starts by looking for that marker, so a press
//! interrupted by a crash is finished by the next press without a second
//! comment.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::acknowledge::outcome::AckOutcome;
use crate::acknowledge::vars::{AckFacts, Via};
use crate::acknowledge::writeback::{write_back, Services, WriteJob};
use crate::acknowledge::AckEvent;
use crate::clock::now_ms;
use crate::config::Config;
use crate::domain::{AppId, RecordId};
use crate::kintone::client::KintoneClient;
use crate::metrics::Metrics;
use crate::store::audit::AckRecord;
use crate::store::inbox::Stage;
use crate::store::notifications::NotificationState;
use crate::store::Store;

/// What a panel acknowledgement needs.
pub struct Panel {
    pub config: Arc<Config>,
    /// The apps as they are now: the write-back uses an app's current token.
    pub apps: crate::config::live::Live<Vec<crate::config::AppConfig>>,
    pub store: Store,
    pub kintone: KintoneClient,
    pub metrics: Arc<Metrics>,
    pub events: tokio::sync::broadcast::Sender<AckEvent>,
    pub clock: crate::clock::Clock,
}

/// How a press went.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PanelOutcome {
    pub acknowledged: usize,
    /// Refused by kintone (recorded as failed in the audit log).
    pub failed: usize,
    /// kintone could not take these now: try again later.
    pub retry: Vec<NotificationState>,
}

/// What one write-back came to.
enum One {
    Done,
    Refused(String),
    Later(String),
}

impl Panel {
    /// What a press acknowledges: everything pending now.
    ///
    /// # Errors
    /// The store could not be read.
    pub async fn pending(&self) -> Result<Vec<NotificationState>, crate::store::StoreError> {
        self.store.pending_notifications().await
    }

    /// Acknowledges `items`, skipping any acknowledged meanwhile.
    pub async fn acknowledge(&self, items: Vec<NotificationState>) -> PanelOutcome {
        let mut out = PanelOutcome::default();
        for n in items {
            match self.store.notification_get(n.id.clone()).await {
                Ok(Some(now)) if now.acked_ms.is_some() => continue,
                Ok(Some(_)) => {}
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(notification = %n.id, error = %e, "panel: cannot read the notification");
                    out.retry.push(n);
                    continue;
                }
            }
            match self.one(&n).await {
                One::Done => out.acknowledged += 1,
                One::Refused(why) => {
                    tracing::warn!(notification = %n.id, record = n.record, error = %why, "panel acknowledgement refused by kintone");
                    out.failed += 1;
                }
                One::Later(why) => {
                    tracing::info!(notification = %n.id, record = n.record, error = %why, "panel acknowledgement will be retried");
                    out.retry.push(n);
                }
            }
        }
        tracing::info!(
            acknowledged = out.acknowledged,
            failed = out.failed,
            retrying = out.retry.len(),
            "panel acknowledgement"
        );
        out
    }

    async fn one(&self, n: &NotificationState) -> One {
        let ids = AppId::from_stored(n.app)
            .ok()
            .zip(RecordId::from_stored(n.record).ok());
        let Some((app_id, record)) = ids else {
            return One::Refused("bad app or record id".into());
        };
        let Some(app) = self.apps.app(app_id) else {
            return One::Refused(format!("app {app_id} is no longer configured"));
        };
        let at = now_ms();
        let key = format!("panel:{}", n.id);
        // Who the write-back and the audit log name, in the site's language.
        let actor = self.config.language.catalogue().panel_actor;
        let vars = AckFacts {
            who: actor,
            line_user: "",
            kintone_user: "",
            via: Via::Panel,
            at_ms: at,
            app: app_id,
            app_name: &app.name,
            record,
            title: &n.title,
            notification: &n.id,
            zone: &self.config.time_zone,
            language: self.config.language,
        }
        .render();
        let job = WriteJob {
            inbox: None,
            key: &key,
            // "Maybe written already": look for this key's marker first.
            stage: Stage::Writing,
            writeback_ref: None,
            record,
            method: &app.ack.method,
            vars: &vars,
            language: self.config.language,
        };
        let services = Services {
            store: &self.store,
            kintone: &self.kintone,
            clock: &self.clock,
        };
        let result = write_back(services, &app.auth, job).await;
        let outcome = match &result {
            Ok(written) => AckOutcome::of(written),
            // Nothing to record yet; the notification stays pending.
            Err(e) if e.is_retryable() => return One::Later(e.to_string()),
            Err(e) => AckOutcome::Failed(e.to_string()),
        };
        let audit = AckRecord {
            at_ms: at,
            event_id: key,
            line_user_id: None,
            actor: actor.to_owned(),
            app: n.app,
            record: n.record,
            notification: n.id.clone(),
            method: app.ack.method.name().to_owned(),
            outcome: outcome.as_str().into_owned(),
            reply: "none".to_owned(),
        };
        if let Err(e) = self.store.panel_ack(audit).await {
            return One::Later(e.to_string());
        }
        if let Err(e) = result {
            return One::Refused(e.to_string());
        }
        self.metrics.acks.fetch_add(1, Ordering::Relaxed);
        let _ = self.events.send(AckEvent::Acknowledged {
            notification: n.id.clone(),
        });
        One::Done
    }
}
