// The capability that parses stored events with their tokens is made by the
// daemon alone: outside the crate it cannot be made at all.
use kintone_line_gateway::inbound::reply::ReplyIssuer;

fn main() {
    let _ = ReplyIssuer::new();
}
