//! The integration test binary: one crate, one build, every suite.
//!
//! - [`world`]: the fakes and the real gateway between them, shared by the
//!   end-to-end suites.
//! - [`openapi`]: a small OpenAPI validator over the official specs in
//!   `tests/specs/`, shared by every suite that checks what crosses the wire.
//! - [`flex_schema`]: Flex messages the gateway builds, checked as LINE push
//!   requests.
//! - [`architecture`]: which code may name the reply path.
//! - [`backup`]: an online copy of the store while the daemon runs.
//! - [`catalogue`]: the message catalogue against the code and LINE's limits.
//! - [`ack_loop`]: the acknowledgement loop end to end.
//! - [`notify_loop`]: the notification loop end to end.
//! - [`clock`]: a board clock that is wrong, or set back while running.
//! - [`pacing`]: when each person's pushes go: a debounce, full requests at
//!   once, the per-minute ceiling and the max wait.
//! - [`crash`]: the daemon binary killed with SIGKILL mid-flight and restarted.
//! - [`echo`]: the gateway's own write-backs never notify, whatever kintone
//!   sends first and wherever the power goes.
//! - [`relay`]: the Node relay in front of the gateway (ignored without
//!   `relay/node_modules`; `.ci/run` runs it).
//! - [`indicator`]: the office panel's long press end to end; `check-config`
//!   and GPIO lines.
//! - [`reload`]: secrets rotated and the config reloaded (SIGHUP) without a
//!   restart.
//! - [`daemon`]: the daemon binary as its own process.
//! - [`service`]: the daemon under a stand-in for systemd (`NOTIFY_SOCKET`,
//!   watchdog, SIGTERM).
//! - [`dead_letters`]: `outbox retry` while the daemon runs.
//! - [`tls`]: the gateway's own TLS; a renewed certificate on reload.
//! - [`doctor`]: `doctor` against good and bad sites.
//! - [`doctor_words`]: `doctor`'s plain words for refused connections and
//!   LINE's webhook test.
//! - [`japanese_app`]: an app whose field codes, statuses and actions are
//!   Japanese, from the card to the write-back, the poll and `doctor`.
//! - [`cli`]: the binary's exit codes and messages.
//! - [`retention`]: events older than the dedup window dropped, pruned keys
//!   still refused, the pruner running on its own.
//! - [`store_loss`]: a store deleted, damaged or full under the daemon, the
//!   refusals, `store rescue`, owner-only files.
//! - [`journal`]: log priorities on systemd's journal stream.
//! - [`reports`]: `status`, `acks` and `outbox` read the store read-only.
//! - [`diagnostics`]: `check-config` lists every mistake in one round, with
//!   its line, in the order of the file.
//! - [`upstream_text`]: LINE's and kintone's error text, echoing our tokens,
//!   kept nowhere with them and never shown to a person.
//! - `pubsub`: webhooks pulled from the real Pub/Sub emulator (started here
//!   unless `PUBSUB_EMULATOR_HOST` names one), OAuth against a fake Google.

#![allow(
    clippy::unwrap_used,
    reason = "a test fails loudly on what it did not expect"
)]

mod ack_loop;
mod ack_outcome;
mod ack_rights;
mod architecture;
mod backup;
mod browser;
mod catalogue;
mod chain;
mod cli;
mod clock;
mod crash;
mod daemon;
mod dead_letters;
mod diagnostics;
mod doctor;
mod doctor_words;
mod echo;
mod flex_schema;
mod hostile;
mod indicator;
mod japanese_app;
mod journal;
mod notify_api;
mod notify_loop;
mod openapi;
mod pacing;
#[cfg(feature = "pubsub")]
mod pubsub;
mod quiet;
mod recipients;
mod relay;
mod reload;
mod reports;
mod retention;
mod service;
mod store_loss;
mod tls;
mod ui;
mod ui_open;
mod ui_pages;
mod undeliverable;
mod upstream_text;
mod world;
