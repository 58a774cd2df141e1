//! `demo --interactive`: the simulators and the gateway stay up and take
//! commands from stdin.

use std::io::BufRead as _;
use std::time::Duration;

use super::render::all_ack_data;
use super::words;
use super::{wait, Demo, TARO};

impl Demo {
    /// Keeps the simulators and gateway up for a person to play with.
    pub(super) async fn interactive(&self) -> anyhow::Result<()> {
        let example = words::app(self.language).waiting;
        let help = words::HELP.fill(self.language, &[("example", example)]);
        println!("\n{help}");
        let (tx, mut rx) = tokio::sync::mpsc::channel::<String>(16);
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                if tx.blocking_send(line).is_err() {
                    break;
                }
            }
        });
        loop {
            print!("> ");
            use std::io::Write as _;
            let _ = std::io::stdout().flush();
            let Some(line) = rx.recv().await else {
                return Ok(());
            };
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["quit" | "exit"] => return Ok(()),
                ["status", id, status @ ..] if !status.is_empty() => {
                    self.set_status(id, &status.join(" "));
                }
                ["cards"] => {
                    for (i, data) in all_ack_data(&self.line.pushes()).iter().enumerate() {
                        println!("  {}: {data}", i + 1);
                    }
                }
                ["tap", n] => self.tap(n).await?,
                ["press"] => self.press(Duration::from_millis(200)).await,
                // The demo's panel uses the default long press (2 s).
                ["hold"] => self.press(Duration::from_millis(2_100)).await,
                ["comments", id] => self.comments(id)?,
                [] => {}
                _ => println!("{}", words::UNKNOWN_COMMAND.in_(self.language)),
            }
        }
    }

    fn set_status(&self, id: &str, status: &str) {
        match id
            .parse::<u64>()
            .ok()
            .and_then(|id| self.kintone.user_sets_status(id, status))
        {
            Some(rev) => {
                let rev = rev.to_string();
                let set = [("id", id), ("status", status), ("rev", &rev)];
                println!("{}", words::STATUS_SET.fill(self.language, &set));
            }
            None => println!("{}", words::NO_RECORD.fill(self.language, &[("id", id)])),
        }
    }

    /// Taro taps Acknowledge on card `n` (counted from 1); prints the reply.
    async fn tap(&self, n: &str) -> anyhow::Result<()> {
        let cards = all_ack_data(&self.line.pushes());
        let Some(data) = n
            .parse::<usize>()
            .ok()
            .and_then(|n| cards.get(n.wrapping_sub(1)))
        else {
            println!("{}", words::NO_CARD.fill(self.language, &[("n", n)]));
            return Ok(());
        };
        let replies = self.line.replies().len();
        let tap = self.line.postback_event(TARO, data);
        let (status, _) = self.line.deliver(&self.webhook_url(), &[tap]).await?;
        let status = status.to_string();
        let answered = words::TAP_ANSWERED.fill(self.language, &[("status", &status)]);
        println!("{answered}");
        if wait(|| self.line.replies().len() > replies).await.is_ok() {
            let r = self.line.replies().pop().unwrap_or_default();
            println!("💬 {}", r["messages"][0]["text"].as_str().unwrap_or(""));
        }
        Ok(())
    }

    /// Holds the panel button down for `held`.
    async fn press(&self, held: Duration) {
        self.gateway.indicator.button(true).await;
        tokio::time::sleep(held).await;
        self.gateway.indicator.button(false).await;
        let ms = held.as_millis().to_string();
        println!("{}", words::RELEASED.fill(self.language, &[("ms", &ms)]));
    }

    fn comments(&self, id: &str) -> anyhow::Result<()> {
        let id: u64 = id.parse().unwrap_or(0);
        let st = self
            .kintone
            .state
            .lock()
            .map_err(|_| anyhow::anyhow!("simulator state poisoned"))?;
        for c in st.comments.iter().filter(|c| c.record == id) {
            println!("  #{}: {}", c.id, c.text.replace('\n', " ⏎ "));
        }
        Ok(())
    }
}
