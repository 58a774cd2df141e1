//! `send --to group:Office "text"`: a script on the board queues a LINE
//! message the way `POST /api/notify` does — into the store's outbox, which
//! the running daemon sends (retry key, quota guard) — so it works while the
//! daemon runs and needs no secrets in the script's shell.

use std::path::Path;

use super::open_store;
use super::words;
use crate::config::reader::Problem;
use crate::config::rules::{fixed_recipients, Recipient};
use crate::config::{report_settings, ConfigErrors, ReportSettings};
use crate::line::message::Message;
use crate::notify_api::enqueue::{enqueue, Queued};

/// LINE's limit for a text message, in characters.
const TEXT_MAX: usize = 5000;

pub(super) async fn send(config: &Path, to: &[String], text: &str) -> anyhow::Result<()> {
    let settings = report_settings(config)?;
    let lang = settings.language;
    let recipients = parse(&settings, to, text)?;
    let store = open_store(&settings)?;
    match enqueue(&store, &recipients, &[Message::text(text)], None).await? {
        Queued::Sent {
            recipients,
            requests,
        } => {
            let (n, requests) = (recipients.len().to_string(), requests.to_string());
            let args = [("n", n.as_str()), ("requests", &requests)];
            println!("{}", words::SENT.fill(lang, &args));
            Ok(())
        }
        // Only a pulled message is taken in twice.
        Queued::Already => Ok(()),
        Queued::Nobody => anyhow::bail!("{}", words::SEND_NOBODY.in_(lang)),
    }
}

/// The recipients and text, or every mistake in them (exit 64).
fn parse(
    settings: &ReportSettings,
    to: &[String],
    text: &str,
) -> Result<Vec<Recipient>, ConfigErrors> {
    let mut problems = Vec::new();
    let lang = settings.language;
    let no_field = words::SEND_FIELD.in_(lang);
    let recipients = fixed_recipients(to, ("--to", lang), no_field, |k, m| {
        problems.push(Problem::new(k, m));
    });
    if text.trim().is_empty() || text.chars().count() > TEXT_MAX {
        let max = TEXT_MAX.to_string();
        let message = words::TEXT_LENGTH.fill(settings.language, &[("max", &max)]);
        problems.push(Problem::new("TEXT", message));
    }
    if problems.is_empty() {
        Ok(recipients)
    } else {
        Err(ConfigErrors {
            path: settings.path.clone(),
            problems,
            language: settings.language,
        })
    }
}
