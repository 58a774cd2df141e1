//! The narrated scenario, one step per method: a push, a tap, a
//! redelivery, a forgery, a burst, then the audit log.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::Value;

use super::render::{ack_data, cards, render_push};
use super::words;
use super::{wait, wait_for, Demo, BURST, BURST_FIRST, RECORD, TARO};

impl Demo {
    pub(super) async fn scenario(&self) -> anyhow::Result<()> {
        let push = self.status_change_pushes().await?;
        let tap = self.tap_acknowledges(&push).await?;
        self.redelivery_is_not_doubled(tap).await?;
        self.forgery_is_refused().await?;
        self.burst_is_batched().await?;
        self.audit_log().await
    }

    /// 1: a status change reaches LINE as a push; returns the push.
    async fn status_change_pushes(&self) -> anyhow::Result<Value> {
        println!("\n{}", words::STATUS_CHANGE.in_(self.language));
        let app = words::app(self.language);
        println!("   #{RECORD} “{}” → “{}”", app.title, app.waiting);
        let t0 = Instant::now();
        self.kintone.user_sets_status(RECORD, app.waiting);
        wait(|| !self.line.pushes().is_empty())
            .await
            .context("no push reached LINE")?;
        println!(
            "   kintone → webhook → gateway (re-reads the record, compares with the last status it saw) → LINE Push after {} ms:",
            t0.elapsed().as_millis()
        );
        let push = self.line.pushes().remove(0);
        for l in render_push(&push) {
            println!("      │ {l}");
        }
        println!(
            "   cost: {} message counted against the monthly quota",
            self.line.usage()
        );
        Ok(push)
    }

    /// 2: Taro's tap writes a comment back and is answered by a free reply;
    /// returns the tap's event.
    async fn tap_acknowledges(&self, push: &Value) -> anyhow::Result<Value> {
        println!("\n{}", words::TAP.in_(self.language));
        let data = ack_data(push).context("the card has no Acknowledge button")?;
        let tap = self.line.postback_event(TARO, &data);
        let t0 = Instant::now();
        let (status, _) = self
            .line
            .deliver(&self.webhook_url(), std::slice::from_ref(&tap))
            .await?;
        println!(
            "   LINE → gateway: signed webhook answered {status} in {} ms (verified, stored durably first)",
            t0.elapsed().as_millis()
        );
        wait(|| !self.kintone.comment_texts().is_empty())
            .await
            .context("no comment reached kintone")?;
        println!(
            "   gateway → kintone after {} ms — comment on #{RECORD}:",
            t0.elapsed().as_millis()
        );
        for l in self.kintone.comment_texts()[0].lines() {
            println!("      │ {l}");
        }
        wait(|| !self.line.replies().is_empty())
            .await
            .context("no reply reached LINE")?;
        let reply = self.line.replies().remove(0);
        println!(
            "   gateway → LINE Reply (free, single-use token) after {} ms: 💬 {}",
            t0.elapsed().as_millis(),
            reply["messages"][0]["text"].as_str().unwrap_or("")
        );
        Ok(tap)
    }

    /// 3: the same event again changes nothing.
    async fn redelivery_is_not_doubled(&self, tap: Value) -> anyhow::Result<()> {
        println!("\n{}", words::REDELIVERY.in_(self.language));
        let mut again = tap;
        again["deliveryContext"]["isRedelivery"] = Value::Bool(true);
        let (status, body) = self.line.deliver(&self.webhook_url(), &[again]).await?;
        println!("   answered {status}: {body}");
        tokio::time::sleep(Duration::from_millis(500)).await;
        println!(
            "   comments on #{RECORD}: {} (not doubled); Reply calls: {}",
            self.kintone.comment_texts().len(),
            self.line.reply_calls()
        );
        Ok(())
    }

    /// 4: a webhook without the channel secret's signature is refused.
    async fn forgery_is_refused(&self) -> anyhow::Result<()> {
        println!("\n{}", words::FORGERY.in_(self.language));
        let resp = crate::outbound::client(Duration::from_secs(10))?
            .post(self.webhook_url())
            .header("x-line-signature", "Zm9yZ2VkIHNpZ25hdHVyZQ==")
            .body(r#"{"destination":"U","events":[]}"#)
            .send()
            .await?;
        println!("   answered {} — nothing stored", resp.status());
        Ok(())
    }

    /// 5: many changes at once go out as few push requests.
    async fn burst_is_batched(&self) -> anyhow::Result<()> {
        println!("\n{} ({BURST})", words::BURST.in_(self.language));
        let before = (self.line.accepted().len(), self.line.usage());
        let t0 = Instant::now();
        let waiting = words::app(self.language).waiting;
        for id in BURST_FIRST..BURST_FIRST + BURST {
            self.kintone.user_sets_status(id, waiting);
        }
        wait_for(Duration::from_secs(20), || {
            cards(&self.line.pushes()) > usize::try_from(BURST).unwrap_or(usize::MAX)
        })
        .await
        .context("the burst was not delivered")?;
        let accepted = self.line.accepted();
        for (i, p) in accepted.iter().enumerate().skip(before.0) {
            let n = cards(std::slice::from_ref(&p.body));
            println!(
                "   push request {}: {n} card(s) in {} message object(s), {} message counted",
                i + 1 - before.0,
                p.body["messages"].as_array().map_or(0, Vec::len),
                p.counted
            );
        }
        println!(
            "   {BURST} changes → {} push requests, {} messages counted (without batching: {BURST}) — in {:.1} s",
            accepted.len() - before.0,
            self.line.usage() - before.1,
            t0.elapsed().as_secs_f64()
        );
        Ok(())
    }

    async fn audit_log(&self) -> anyhow::Result<()> {
        let acks = self.gateway.store.acks_since(0).await?;
        println!("\n{}: {}", words::AUDIT.in_(self.language), acks.len());
        for a in &acks {
            println!(
                "   #{} by {} — {} / {}",
                a.record, a.actor, a.outcome, a.reply
            );
        }
        Ok(())
    }
}
