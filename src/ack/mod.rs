//! The acknowledgement loop: a staff member's postback becomes a kintone
//! write-back and a Reply, exactly once, even across crashes.
//!
//! The worker takes due events from the inbox (oldest first, a bounded number
//! at a time), and each event's progress is stored as it goes: a restart
//! resumes where it stopped, never repeating a comment or a reply.

mod handle;
mod onboarding;
pub mod postback;
pub mod respond;
pub mod writeback;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::kintone::client::KintoneClient;
use crate::line::client::LineClient;
use crate::metrics::Metrics;
use crate::store::{now_ms, Store};

pub(crate) use handle::template_times;

/// An app's credentials as the kintone client takes them.
pub fn app_auth(app: &crate::config::AppConfig) -> crate::kintone::client::AppAuth {
    handle::auth(app)
}

/// Events handled at once. Most of an event's time is spent waiting for the
/// store's group commits, not for kintone; the kintone client itself keeps
/// requests under kintone's 100 concurrent per domain
/// ([`crate::kintone::client::MAX_IN_FLIGHT`]).
const CONCURRENCY: usize = 256;
/// Even with no wake-up, look for due retries this often.
const IDLE_POLL: Duration = Duration::from_millis(500);
/// The shortest time between two reads of the inbox. Each read is a round
/// trip to the store's reader thread (two thread wake-ups); at thousands of
/// webhook requests a second, one read each would be thousands of round
/// trips. An acknowledgement waits at most this long for its read.
const READ_GAP: Duration = Duration::from_millis(2);

/// Something the acknowledgement loop reports to the rest of the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckEvent {
    /// A notification was acknowledged (the indicator re-reads pending count).
    Acknowledged { notification: String },
}

/// What the worker needs; shared by all its tasks.
pub struct AckContext {
    pub config: Arc<Config>,
    pub store: Store,
    pub line: LineClient,
    pub kintone: KintoneClient,
    pub metrics: Arc<Metrics>,
    /// Told about acknowledgements (indicator, status).
    pub events: tokio::sync::broadcast::Sender<AckEvent>,
    /// The watchdog checks that this loop keeps going round.
    pub beats: Arc<crate::service::Heartbeats>,
}

/// Runs until `shutdown`; in-flight events finish (their progress is stored
/// either way).
///
/// The inbox is read when there is a reason to: on start (events a restart
/// left pending), when the webhook stored new events, when a slot frees while
/// due events are waiting, and every [`IDLE_POLL`] for scheduled retries.
/// Reads are at least [`READ_GAP`] apart, so under load one read takes in
/// every event stored meanwhile instead of one read per webhook request.
pub async fn run(ctx: Arc<AckContext>, wake: Arc<Notify>, shutdown: CancellationToken) {
    let mut work = InFlight::default();
    let mut due = true;
    let mut backlog = false;
    loop {
        crate::service::Heartbeats::tick(&ctx.beats.ack);
        work.reap();
        let room = CONCURRENCY.saturating_sub(work.tasks.len());
        if due && room > 0 {
            due = false;
            match ctx.store.inbox_due(now_ms(), room, work.seqs.clone()).await {
                Ok(rows) => {
                    // A full read may have left due events behind.
                    backlog = rows.len() >= room;
                    for event in handle::prepare(&ctx, rows).await {
                        let seq = event.seq();
                        let ctx = ctx.clone();
                        work.start(seq, async move { handle::process(&ctx, event).await });
                    }
                }
                Err(e) => tracing::error!(error = %e, "cannot read the inbox"),
            }
            // Wake-ups during the gap are kept (a `Notify` permit) and
            // answered by one read after it.
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(READ_GAP) => {}
            }
            continue;
        }
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = wake.notified() => due = true,
            Some(done) = work.tasks.join_next_with_id(), if !work.tasks.is_empty() => {
                work.finished(&done);
                due |= backlog;
            }
            () = tokio::time::sleep(IDLE_POLL) => due = true,
        }
    }
    while work.tasks.join_next().await.is_some() {}
}

/// The events being handled, by inbox row.
///
/// A row leaves the set only here, in the worker loop, once its task has been
/// joined — never from inside the task. Otherwise a task finishing while the
/// loop reads due rows would free its row while that read (taken before the
/// row was finished) still lists it, and the event would be handled twice.
#[derive(Default)]
struct InFlight {
    tasks: JoinSet<()>,
    rows: HashMap<tokio::task::Id, i64>,
    seqs: HashSet<i64>,
}

impl InFlight {
    /// Starts `task` for row `seq` unless that row is already being handled.
    fn start(
        &mut self,
        seq: i64,
        task: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> bool {
        if !self.seqs.insert(seq) {
            return false;
        }
        let id = self.tasks.spawn(task).id();
        self.rows.insert(id, seq);
        true
    }

    /// Forgets every task that has ended.
    fn reap(&mut self) {
        while let Some(done) = self.tasks.try_join_next_with_id() {
            self.finished(&done);
        }
    }

    fn finished(&mut self, done: &Result<(tokio::task::Id, ()), tokio::task::JoinError>) {
        let id = match done {
            Ok((id, ())) => *id,
            Err(e) => {
                tracing::error!(error = %e, "an acknowledgement task failed; its event is retried");
                e.id()
            }
        };
        if let Some(seq) = self.rows.remove(&id) {
            self.seqs.remove(&seq);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::InFlight;

    #[tokio::test]
    async fn a_finished_row_stays_taken_until_the_loop_reaps_it() {
        let mut work = InFlight::default();
        assert!(work.start(7, async {}));
        assert!(
            !work.start(7, async {}),
            "a row in flight is not started twice"
        );
        // The task has ended, but the loop has not seen it end: a read of due
        // rows taken before it finished may still list row 7.
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        assert!(!work.start(7, async {}));
        work.reap();
        assert!(work.tasks.is_empty());
        assert!(
            work.start(7, async {}),
            "reaped, the row can be taken again"
        );
    }

    #[tokio::test]
    async fn a_panicking_task_frees_its_row() {
        let mut work = InFlight::default();
        assert!(work.start(9, async { panic!("boom") }));
        while work.tasks.len() == 1 {
            if let Some(done) = work.tasks.join_next_with_id().await {
                work.finished(&done);
            }
        }
        assert!(work.start(9, async {}));
    }
}
