//! In-process simulators of the outside services: LINE's platform and a
//! kintone domain.
//!
//! The tests, the benchmarks and `demo` all run the real gateway against these.
//! They behave like the real services on the points the gateway depends on
//! (reply-token expiry, retry-key 409s, revision conflicts, 429s, 5xx) and record
//! every request so tests can check exactly what crossed the wire. They only
//! ever listen on loopback.

pub mod fakes;
pub mod http;
pub mod kintone;
pub mod line;
pub mod site;
