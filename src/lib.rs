//! kintone-line-gateway: kintone record changes become LINE pushes and office
//! lights; LINE acknowledgements become kintone write-backs and replies.
//!
//! Follow an event through the modules:
//!
//! - **Notification loop:** `kintone` (webhook or poll) → `notify` (field
//!   state, rules) → `store` outbox → `line` push → `indicator`.
//! - **Acknowledgement loop:** `http` ingress → `line` signature check →
//!   `store` inbox → `ack` (kintone write-back, then reply) → `indicator`.
//!
//! Supporting modules: `config` (TOML, every problem reported with its key),
//! [`secret`] (values that never print), [`outbound`] (the HTTP client
//! every outside call uses), [`domain`] (identifiers parsed at the
//! edge) and, behind the `sim` feature, [`sim`] — the LINE and kintone
//! simulators used by the tests and by `demo`.

// Stronger than Cargo.toml's `deny`: no attribute in the library can allow unsafe code.
#![forbid(unsafe_code)]

pub mod acknowledge;
pub mod cli;
pub mod clock;
pub mod config;
pub mod daemon;
#[cfg(feature = "sim")]
pub mod demo;
pub mod doctor;
pub mod domain;
pub mod http;
pub mod inbound;
pub mod inbox_worker;
pub mod indicator;
pub mod kintone;
pub mod line;
pub mod metrics;
pub mod notify;
pub mod notify_api;
pub mod outbound;
pub mod postback;
#[cfg(feature = "pubsub")]
pub mod pubsub;
#[cfg(feature = "pubsub")]
pub mod pull;
pub mod retry;
pub mod secret;
pub mod service;
#[cfg(feature = "sim")]
pub mod sim;
pub mod store;
pub mod text;
pub mod ui;
