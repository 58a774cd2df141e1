//! The acknowledgement loop: a staff member's postback becomes a kintone
//! write-back and a Reply, exactly once, even across crashes.

pub mod postback;
