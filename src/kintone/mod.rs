//! kintone: the REST client, record JSON, and errors that say what to do.

pub mod client;
pub mod error;
pub mod query;
pub mod record;
