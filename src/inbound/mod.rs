//! LINE ingress: a webhook's bytes become verified, parsed events in the
//! inbox. The signature is checked over the raw body (`signature`), events
//! are parsed (`events`), and reply tokens exist only through the capability
//! in `reply`, which the daemon hands to the inbox worker alone.

pub mod events;
pub mod reply;
pub mod signature;
pub mod stale;
pub mod webhook;
