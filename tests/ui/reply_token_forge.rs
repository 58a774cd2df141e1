// Tokens only come out of the webhook parser: no struct literal, no constructor.
use kintone_line_gateway::line::reply::{Receipt, ReplyToken};

fn main() {
    let _a = ReplyToken { token: String::from("x"), started_at_ms: 0, limit: None, ends_by_ms: None };
    let receipt = Receipt { received_ms: 0, line_offset_ms: None };
    let _b = ReplyToken::issue("x", 0, false, receipt);
}
