// Code outside the crate can push but
// never call the Reply API directly.
use kintone_line_gateway::line::client::LineClient;

async fn sneak_reply(client: &LineClient) {
    let _ = client.reply_raw("token", &[], false).await;
}

fn main() {}
