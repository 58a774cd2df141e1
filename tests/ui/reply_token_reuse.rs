// `send` consumes the token: a second reply with the same token does not compile.
use std::time::Duration;

use kintone_line_gateway::line::client::LineClient;
use kintone_line_gateway::inbound::reply::{self, ReplyToken};

async fn reply_twice(client: &LineClient, token: ReplyToken) {
    let _ = reply::send(client, token, &[], Duration::from_secs(30), 0).await;
    let _ = reply::send(client, token, &[], Duration::from_secs(30), 0).await;
}

fn main() {}
