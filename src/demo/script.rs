//! The narrated scenario, one step per method: a push, a tap, a
//! redelivery, a forgery, a reminder and an escalation, a burst, a LINE
//! Notify caller, then the audit log.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::Value;

use super::render::{ack_data, cards, render_push};
use super::words;
use super::{wait, wait_for, Demo, BURST, BURST_FIRST, RECORD, TARO, UNANSWERED};

impl Demo {
    pub(super) async fn scenario(&self) -> anyhow::Result<()> {
        let push = self.status_change_pushes().await?;
        let tap = self.tap_acknowledges(&push).await?;
        self.redelivery_is_not_doubled(tap).await?;
        self.forgery_is_refused().await?;
        self.reminded_then_escalated().await?;
        self.burst_is_batched().await?;
        self.line_notify_caller().await?;
        self.audit_log().await
    }

    /// 1: a status change reaches LINE as a push; returns the push.
    async fn status_change_pushes(&self) -> anyhow::Result<Value> {
        println!("\n{}", words::STATUS_CHANGE.in_(self.language));
        let app = words::app(self.language);
        let record = RECORD.to_string();
        let moves = [
            ("record", record.as_str()),
            ("from", app.title),
            ("to", app.waiting),
        ];
        println!("{}", words::RECORD_MOVES.fill(self.language, &moves));
        let t0 = Instant::now();
        self.kintone.user_sets_status(RECORD, app.waiting);
        wait(|| !self.line.pushes().is_empty())
            .await
            .context("no push reached LINE")?;
        let ms = t0.elapsed().as_millis().to_string();
        println!("{}", words::PUSHED.fill(self.language, &[("ms", &ms)]));
        let push = self.line.pushes().remove(0);
        for l in render_push(&push, self.language) {
            println!("      │ {l}");
        }
        let n = self.line.usage().to_string();
        println!("{}", words::COST.fill(self.language, &[("n", &n)]));
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
        let (status, ms) = (status.to_string(), t0.elapsed().as_millis().to_string());
        let answered = [("status", status.as_str()), ("ms", &ms)];
        println!("{}", words::WEBHOOK_ANSWERED.fill(self.language, &answered));
        wait(|| !self.kintone.comment_texts().is_empty())
            .await
            .context("no comment reached kintone")?;
        let (ms, record) = (t0.elapsed().as_millis().to_string(), RECORD.to_string());
        let commented = [("ms", ms.as_str()), ("record", &record)];
        println!("{}", words::COMMENTED.fill(self.language, &commented));
        for l in self.kintone.comment_texts()[0].lines() {
            println!("      │ {l}");
        }
        wait(|| !self.line.replies().is_empty())
            .await
            .context("no reply reached LINE")?;
        let reply = self.line.replies().remove(0);
        let ms = t0.elapsed().as_millis().to_string();
        let text = reply["messages"][0]["text"].as_str().unwrap_or("");
        let replied = [("ms", ms.as_str()), ("text", text)];
        println!("{}", words::REPLIED.fill(self.language, &replied));
        Ok(tap)
    }

    /// 3: the same event again changes nothing.
    async fn redelivery_is_not_doubled(&self, tap: Value) -> anyhow::Result<()> {
        println!("\n{}", words::REDELIVERY.in_(self.language));
        let mut again = tap;
        again["deliveryContext"]["isRedelivery"] = Value::Bool(true);
        let (status, body) = self.line.deliver(&self.webhook_url(), &[again]).await?;
        let status = status.to_string();
        let answered = [("status", status.as_str()), ("body", &body)];
        println!(
            "{}",
            words::REDELIVERY_ANSWERED.fill(self.language, &answered)
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        let record = RECORD.to_string();
        let n = self.kintone.comment_texts().len().to_string();
        let calls = self.line.reply_calls().to_string();
        let counts = [("record", record.as_str()), ("n", &n), ("calls", &calls)];
        println!("{}", words::NOT_DOUBLED.fill(self.language, &counts));
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
        let status = resp.status().to_string();
        println!(
            "{}",
            words::REFUSED.fill(self.language, &[("status", &status)])
        );
        Ok(())
    }

    /// 5: a card nobody acknowledges is pushed again, then to Hanako.
    async fn reminded_then_escalated(&self) -> anyhow::Result<()> {
        println!("\n{}", words::REMINDER.in_(self.language));
        let waiting = words::app(self.language).waiting;
        let before = self.line.pushes().len();
        self.kintone.user_sets_status(UNANSWERED, waiting);
        wait(|| self.line.pushes().len() > before)
            .await
            .context("no push for the unanswered record")?;
        for (min, label) in [(15, "reminder"), (30, "escalation")] {
            let seen = self.line.pushes().len();
            self.clock.skip(Duration::from_secs(15 * 60));
            wait(|| self.line.pushes().len() > seen)
                .await
                .with_context(|| format!("no {label} reached LINE"))?;
            let min = min.to_string();
            println!(
                "{}",
                words::CLOCK_SKIPPED.fill(self.language, &[("min", &min)])
            );
            for push in &self.line.pushes()[seen..] {
                for l in render_push(push, self.language) {
                    println!("      │ {l}");
                }
            }
        }
        Ok(())
    }

    /// 6: many changes at once go out as few push requests.
    async fn burst_is_batched(&self) -> anyhow::Result<()> {
        let n = BURST.to_string();
        println!("\n{}", words::BURST.fill(self.language, &[("n", &n)]));
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
            let i = (i + 1 - before.0).to_string();
            let n = cards(std::slice::from_ref(&p.body)).to_string();
            let objects = p.body["messages"]
                .as_array()
                .map_or(0, Vec::len)
                .to_string();
            let counted = p.counted.to_string();
            let request = [
                ("i", i.as_str()),
                ("cards", &n),
                ("objects", &objects),
                ("counted", &counted),
            ];
            println!("{}", words::PUSH_REQUEST.fill(self.language, &request));
        }
        let burst = BURST.to_string();
        let requests = (accepted.len() - before.0).to_string();
        let counted = (self.line.usage() - before.1).to_string();
        let s = format!("{:.1}", t0.elapsed().as_secs_f64());
        let total = [
            ("burst", burst.as_str()),
            ("requests", &requests),
            ("counted", &counted),
            ("s", &s),
        ];
        println!("{}", words::BURST_TOTAL.fill(self.language, &total));
        Ok(())
    }

    /// 6: a tool that called LINE Notify calls `/api/notify` instead.
    async fn line_notify_caller(&self) -> anyhow::Result<()> {
        println!("\n{}", words::NOTIFY_API.in_(self.language));
        let url = format!("http://{}/api/notify", self.gateway.addr());
        let message = words::NOTIFY_API_MESSAGE.in_(self.language);
        // The token stays out of the narration, as it would in a script.
        println!("   $ curl -X POST {url} -H \"Authorization: Bearer $TOKEN\" --data-urlencode \"message={message}\"");
        let before = self.line.pushes().len();
        let resp = crate::outbound::client(Duration::from_secs(10))?
            .post(&url)
            .bearer_auth(crate::sim::site::NOTIFY_TOKEN)
            .form(&[("message", message)])
            .send()
            .await?;
        let status = resp.status().as_u16().to_string();
        let body = resp.text().await?;
        let answered = [("status", status.as_str()), ("body", &body)];
        println!(
            "{}",
            words::NOTIFY_API_ANSWERED.fill(self.language, &answered)
        );
        wait(|| self.line.pushes().len() > before)
            .await
            .context("the message did not reach LINE")?;
        let push = self.line.pushes().remove(before);
        let text = push["messages"][0]["text"].as_str().unwrap_or("");
        println!(
            "{}",
            words::NOTIFY_API_PUSHED.fill(self.language, &[("text", text)])
        );
        Ok(())
    }

    async fn audit_log(&self) -> anyhow::Result<()> {
        let acks = self.gateway.store.acks_since(0).await?;
        let n = acks.len().to_string();
        println!("\n{}", words::AUDIT.fill(self.language, &[("n", &n)]));
        for a in &acks {
            let record = a.record.to_string();
            let outcome = crate::text::audit::audit_word(self.language, &a.outcome);
            let reply = crate::text::audit::audit_word(self.language, &a.reply);
            let row = [
                ("record", record.as_str()),
                ("actor", &a.actor),
                ("outcome", &outcome),
                ("reply", &reply),
            ];
            println!("{}", words::AUDIT_ROW.fill(self.language, &row));
        }
        Ok(())
    }
}
