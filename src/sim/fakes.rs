//! The fakes by their short names: [`FakeLine`] and [`FakeKintone`].

pub use super::kintone::{Comment, FakeKintone, KintoneState};
pub use super::line::{FakeLine, LineState, Push, PushFault, DEFAULT_SECRET};
