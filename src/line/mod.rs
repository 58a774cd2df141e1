//! Everything LINE: the webhook signature check, event parsing, the reply
//! token that makes Reply-vs-Push a compile-time rule, the API client and the
//! Flex message builder.

pub mod client;
pub mod error;
pub mod flex;
pub mod message;
pub mod token;
