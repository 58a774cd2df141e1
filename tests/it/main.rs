//! The integration test binary: one crate, one build, every suite.
//!
//! - [`openapi`]: a small OpenAPI validator over the official specs in
//!   `tests/specs/`, shared by every suite that checks what crosses the wire.
//! - [`flex_schema`]: Flex messages the gateway builds, checked as LINE push
//!   requests.
//! - [`ack_loop`]: the acknowledgement loop end to end against the `sim::fakes` simulators.
//! - [`indicator`]: the office panel's long press end to end; `check-config` and GPIO lines.

mod ack_loop;
mod cli;

mod flex_schema;
mod indicator;
mod notify_loop;
mod openapi;
