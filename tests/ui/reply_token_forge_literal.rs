// A reply token cannot be written as a struct literal: its fields are private.
use kintone_line_gateway::inbound::reply::ReplyToken;

fn main() {
    let _ = ReplyToken { token: String::from("x"), started_at_ms: 0, limit: None, ends_by_ms: None };
}
