//! The acknowledgement loop: a staff member's postback becomes a kintone
//! write-back and a Reply, exactly once, even across crashes.
//!
//! The worker takes due events from the inbox (oldest first, a bounded number
//! at a time), and each event's progress is stored as it goes: a restart
//! resumes where it stopped, never repeating a comment or a reply.

mod deadline;
mod dispatch;
mod onboarding;
mod permit;
mod postback;
mod prepare;
pub mod respond;
pub mod resume;
mod tell;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::acknowledge::AckEvent;
use crate::config::live::Live;
use crate::config::rules::AckBy;
use crate::config::Config;
use crate::kintone::client::KintoneClient;
use crate::line::client::LineClient;
use crate::metrics::Metrics;
use crate::store::Store;

/// Events handled at once. Most of an event's time is spent waiting for the
/// store's group commits, not for kintone; the kintone client itself keeps
/// requests under kintone's 100 concurrent per domain
/// ([`crate::kintone::client::MAX_IN_FLIGHT`]).
const CONCURRENCY: usize = 256;
/// Even with no wake-up, look for due retries this often (each look wakes
/// two threads: on a board, idle wake-ups cost power). Well inside the
/// watchdog's stall limit for a loop (5 s at the least).
const IDLE_POLL: Duration = Duration::from_secs(2);
/// The shortest time between two reads of the inbox. Each read is a round
/// trip to the store's reader thread (two thread wake-ups); at thousands of
/// webhook requests a second, one read each would be thousands of round
/// trips. An acknowledgement waits at most this long for its read.
const READ_GAP: Duration = Duration::from_millis(2);

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
    /// Reply windows and retries run on its steady timeline.
    pub clock: crate::clock::Clock,
    /// Reads stored events with their reply tokens: only this loop answers.
    pub replies: crate::inbound::reply::ReplyIssuer,
    /// Who may acknowledge, by rule name (`notifications.rule`); a rule no
    /// longer configured keeps the default. A reload swaps it with the rules.
    pub ack_by: Live<HashMap<String, AckBy>>,
    /// Rules whose first acknowledgement is told to the other recipients
    /// (swapped with the rules by a reload).
    pub tell_others: Live<std::collections::HashSet<String>>,
    /// Woken when a push to tell someone an outcome was queued.
    pub outbox_wake: Arc<Notify>,
    /// Which rows an earlier run or attempt may have commented on.
    pub resume: resume::Resume,
    /// `[[kintone.apps]]` as they are now: a reload swaps an app's tokens
    /// and acknowledgement texts.
    pub apps: Live<Vec<crate::config::AppConfig>>,
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
    match ctx.store.inbox_last_seq().await {
        Ok(seq) => ctx.resume.earlier_runs_up_to(seq),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the inbox's last row; every comment is searched for before posting")
        }
    }
    let mut work = InFlight::new(CONCURRENCY);
    loop {
        crate::service::Heartbeats::tick(&ctx.beats.ack);
        work.reap();
        if let Some(room) = work.read_now() {
            let now = ctx.clock.steady_ms();
            match ctx.store.inbox_due(now, room, work.seqs.clone()).await {
                Ok(rows) => {
                    work.read(rows.len(), room);
                    for event in prepare::prepare(&ctx, rows).await {
                        let seq = event.seq();
                        let ctx = ctx.clone();
                        work.start(seq, async move { dispatch::process(&ctx, event).await });
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
            () = wake.notified() => work.due = true,
            Some(done) = work.tasks.join_next_with_id(), if !work.tasks.is_empty() => {
                work.finished(&done);
            }
            () = tokio::time::sleep(IDLE_POLL) => work.due = true,
        }
    }
    while work.tasks.join_next().await.is_some() {}
}

/// The events being handled, by inbox row, and when to read the inbox next.
///
/// A row leaves the set only here, in the worker loop, once its task has been
/// joined — never from inside the task. Otherwise a task finishing while the
/// loop reads due rows would free its row while that read (taken before the
/// row was finished) still lists it, and the event would be handled twice.
struct InFlight {
    tasks: JoinSet<()>,
    rows: HashMap<tokio::task::Id, i64>,
    seqs: HashSet<i64>,
    /// Events handled at once at most.
    limit: usize,
    /// There may be due events the worker has not read.
    due: bool,
    /// The last read filled every free slot, so it may have left due events
    /// behind: a freed slot is a reason to read again.
    backlog: bool,
}

impl InFlight {
    fn new(limit: usize) -> Self {
        InFlight {
            tasks: JoinSet::new(),
            rows: HashMap::new(),
            seqs: HashSet::new(),
            limit,
            // Events a restart left pending.
            due: true,
            backlog: false,
        }
    }

    /// How many rows to read now, if a read is due and a slot is free. A
    /// read is then no longer due until something makes it so again.
    fn read_now(&mut self) -> Option<usize> {
        let room = self.limit.saturating_sub(self.tasks.len());
        if self.due && room > 0 {
            self.due = false;
            Some(room)
        } else {
            None
        }
    }

    /// A read asked for `room` rows and got `got`.
    fn read(&mut self, got: usize, room: usize) {
        self.backlog = got >= room;
    }

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
        // However the task was joined (in the loop's select or by `reap`),
        // its slot is free for an event a full read left behind.
        self.due |= self.backlog;
    }
}

#[cfg(test)]
mod tests {
    use super::InFlight;

    /// Lets every task that can end, end.
    async fn settle() {
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }

    #[tokio::test]
    async fn slots_freed_after_a_full_read_make_the_next_read_due() {
        let mut work = InFlight::new(2);
        assert_eq!(work.read_now(), Some(2), "on start, a read is due");
        work.read(2, 2);
        assert!(work.start(1, async {}));
        assert!(work.start(2, async {}));
        assert_eq!(work.read_now(), None, "no free slot");
        // Both end while the loop waits out the gap after its read, so it
        // reaps them at the top of the loop, not in its select: no wake-up
        // will come for the events the full read left behind.
        settle().await;
        work.reap();
        assert_eq!(
            work.read_now(),
            Some(2),
            "freed slots are filled without waiting for the idle poll"
        );
        // This read found fewer rows than slots: it left nothing behind.
        work.read(1, 2);
        assert!(work.start(3, async {}));
        settle().await;
        work.reap();
        assert_eq!(work.read_now(), None, "nothing left behind, nothing due");
    }

    #[tokio::test]
    async fn a_finished_row_stays_taken_until_the_loop_reaps_it() {
        let mut work = InFlight::new(4);
        assert!(work.start(7, async {}));
        assert!(
            !work.start(7, async {}),
            "a row in flight is not started twice"
        );
        // The task has ended, but the loop has not seen it end: a read of due
        // rows taken before it finished may still list row 7.
        settle().await;
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
        let mut work = InFlight::new(4);
        assert!(work.start(9, async { panic!("boom") }));
        while work.tasks.len() == 1 {
            if let Some(done) = work.tasks.join_next_with_id().await {
                work.finished(&done);
            }
        }
        assert!(work.start(9, async {}));
    }
}
