// A reply token is single-use: it cannot be cloned.
use kintone_line_gateway::inbound::reply::ReplyToken;

fn duplicate(t: ReplyToken) -> (ReplyToken, ReplyToken) {
    (t.clone(), t)
}

fn main() {}
