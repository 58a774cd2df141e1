// Parsing event JSON (a stored row, a literal) is not a way to a reply token:
// the events parser is private to the `inbound` module.
use kintone_line_gateway::inbound::events::parse_event;

fn main() {}
