//! Why the watchdog holds its ping: the store does not commit (in time, or
//! into the file it opened) or a loop has not gone round; said in the
//! config's language on `STATUS=`, in English in the log.

use std::time::Duration;

use super::{words, Heartbeats};
use crate::store::{FileLost, Lost, Store};
use crate::text::said::Said;
use crate::text::Language;

/// Why the gateway is not making progress.
pub(super) enum Stall {
    /// The store's probe did not commit in time.
    Slow,
    /// The store's file is gone or replaced.
    File(FileLost),
    /// The store's probe failed.
    Store(String),
    /// A loop has not gone round.
    Loop(&'static str),
}

impl Stall {
    pub(super) fn said(&self, language: Language) -> String {
        match self {
            Stall::Slow => words::STALL_SLOW.in_(language).to_owned(),
            Stall::File(lost) => {
                let path = lost.path.display().to_string();
                let word = match lost.how {
                    Lost::Deleted => &words::FILE_DELETED,
                    Lost::Replaced => &words::FILE_REPLACED,
                };
                word.fill(language, &[("path", &path)])
            }
            Stall::Store(e) => words::STALL_STORE.fill(language, &[("e", e)]),
            Stall::Loop(name) => {
                let name = loop_word(name).map_or(*name, |w| w.in_(language));
                words::STALL_LOOP.fill(language, &[("loop", name)])
            }
        }
    }
}

/// A loop's name (`Heartbeats::stalled`) as a person reads it.
fn loop_word(name: &str) -> Option<&'static Said> {
    match name {
        "ack" => Some(&words::LOOP_ACK),
        "changes" => Some(&words::LOOP_CHANGES),
        "outbox" => Some(&words::LOOP_OUTBOX),
        _ => None,
    }
}

/// Whether the gateway makes progress: the store commits within a quarter
/// of the watchdog interval into the file it opened (`file`: the caller's
/// look at it), and every loop went round lately.
pub(super) async fn healthy(
    store: &Store,
    beats: &Heartbeats,
    interval: Duration,
    file: Result<(), FileLost>,
) -> Result<(), Stall> {
    // A probe would commit into a deleted file: it proves nothing then.
    file.map_err(Stall::File)?;
    match tokio::time::timeout(interval / 4, store.probe()).await {
        Err(_) => return Err(Stall::Slow),
        Ok(Err(e)) => return Err(Stall::Store(e.to_string())),
        Ok(Ok(())) => {}
    }
    match beats.stalled(interval.max(Duration::from_secs(5))) {
        Some(loop_name) => Err(Stall::Loop(loop_name)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn why_it_stalled_is_said_in_the_language() {
        let stall = Stall::Loop("outbox");
        assert_eq!(stall.said(Language::En), "the outbox loop is stuck");
        assert_eq!(
            stall.said(Language::Ja),
            "送信（outbox）の処理が進んでいません"
        );
        assert_eq!(
            Stall::Loop("Pub/Sub pull").said(Language::En),
            "the Pub/Sub pull loop is stuck"
        );
        let gone = Stall::File(FileLost {
            path: "/var/lib/kintone-line-gateway/gateway.db".into(),
            how: Lost::Replaced,
        });
        assert_eq!(
            gone.said(Language::Ja),
            "/var/lib/kintone-line-gateway/gateway.db が別のファイルに置き換えられました"
        );
        assert_eq!(
            gone.said(Language::En),
            "/var/lib/kintone-line-gateway/gateway.db was replaced by another file"
        );
    }
}
