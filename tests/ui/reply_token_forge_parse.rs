// Parsing event JSON (a stored row, a literal) is not a way to a reply token:
// the events parser is private to the `line` module.
use kintone_line_gateway::line::events::parse_event;

fn main() {}
