// A reply token has no public constructor: only `inbound` issues one.
use kintone_line_gateway::inbound::reply::{Receipt, ReplyToken};

fn main() {
    let receipt = Receipt { received_ms: 0, line_offset_ms: None };
    let _ = ReplyToken::issue("x", 0, false, receipt);
}
