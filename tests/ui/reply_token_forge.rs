// Tokens only come out of the webhook parser: no struct literal, no constructor.
use kintone_line_gateway::line::reply::ReplyToken;

fn main() {
    let _a = ReplyToken { token: String::from("x"), started_at_ms: 0 };
    let _b = ReplyToken::issue("x", 0, 0);
}
