//! The comment method: kintone comments are not idempotent, so the text
//! carries a marker with the write-back's key, and a resumed attempt
//! searches the newest comments for it before posting again.
//!
//! The marker is the comment's last line, short and in the site's language:
//! `（受付 7GQ2M0XA）` / `(ref 7GQ2M0XA)`, the code 8 Crockford base32
//! characters of a SHA-256 of the key (a LINE event id, `panel:<id>`).
//! Only the newest comments of one record are searched, so 40 bits keep two
//! acknowledgements of that record apart. The search also knows the marker
//! in the other language (the config may change between attempts) and the
//! old `[ref:<key>]` line, so a write-back interrupted before the upgrade is
//! still found.

use sha2::{Digest, Sha256};

use super::{Services, WriteBackError, WriteJob, Written};
use crate::domain::RecordId;
use crate::kintone::client::{AppAuth, KintoneClient};
use crate::kintone::error::KintoneError;
use crate::store::inbox::Stage;
use crate::text::{fill, Language};

/// How many newest comments are searched for a marker (3 pages of 10).
const MARKER_SEARCH_PAGES: u32 = 3;

/// Crockford's base32: no I, L, O or U to misread.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters of the marker's code: 8 × 5 = 40 bits.
const CODE_CHARS: usize = 8;

/// The short code of write-back `key`: 8 base32 characters of its hash.
pub fn marker_code(key: &str) -> String {
    let hash = Sha256::digest(key.as_bytes());
    let bits = hash[..5]
        .iter()
        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    (0..CODE_CHARS)
        .rev()
        .map(|i| char::from(CROCKFORD[((bits >> (i * 5)) & 31) as usize]))
        .collect()
}

/// The marker appended to a comment so a retry can find it.
pub fn comment_marker(key: &str, language: Language) -> String {
    let code = marker_code(key);
    fill(language.catalogue().marker, &[("code", &code)])
}

/// Every form of `key`'s marker a comment may carry: this release's in each
/// language, and the `[ref:<key>]` line of earlier releases.
fn markers(key: &str) -> Vec<String> {
    let mut all: Vec<String> = Language::ALL
        .iter()
        .map(|l| comment_marker(key, *l))
        .collect();
    all.push(format!("[ref:{key}]"));
    all
}

/// Posts `text` with the job's marker, unless an interrupted attempt did.
pub(super) async fn write(
    services: Services<'_>,
    auth: &AppAuth,
    job: &WriteJob<'_>,
    text: &str,
) -> Result<Written, WriteBackError> {
    let Services { kintone, .. } = services;
    // `Writing`: an earlier attempt may have posted (the inbox worker says
    // so of a resumed row; the panel's jobs always are). No stage is stored
    // before posting: the marker is what a resumed attempt looks for.
    if job.stage == Stage::Writing
        && comment_exists(kintone, auth, job.record, &markers(job.key)).await?
    {
        return Ok(Written::Already);
    }
    let text = format!("{text}\n{}", comment_marker(job.key, job.language));
    let id = kintone.add_comment(auth, job.record, &text).await?;
    Ok(Written::Now(id.to_string()))
}

async fn comment_exists(
    kintone: &KintoneClient,
    auth: &AppAuth,
    record: RecordId,
    markers: &[String],
) -> Result<bool, KintoneError> {
    for page in 0..MARKER_SEARCH_PAGES {
        let comments = kintone.get_comments(auth, record, 10, page * 10).await?;
        if comments
            .iter()
            .any(|c| markers.iter().any(|m| c.text.contains(m.as_str())))
        {
            return Ok(true);
        }
        if comments.len() < 10 {
            break;
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_is_short_stable_and_differs_per_key() {
        let a = marker_code("01HX8R5EVENT");
        assert_eq!(a.len(), CODE_CHARS);
        assert!(a.bytes().all(|b| CROCKFORD.contains(&b)), "{a}");
        assert_eq!(a, marker_code("01HX8R5EVENT"));
        assert_ne!(a, marker_code("01HX8R5EVENU"));
        assert_ne!(marker_code("panel:n1"), marker_code("panel:n2"));
    }

    #[test]
    fn the_marker_reads_in_the_language_and_the_search_knows_the_old_form() {
        let code = marker_code("ev1");
        assert_eq!(
            comment_marker("ev1", Language::Ja),
            format!("（受付 {code}）")
        );
        assert_eq!(comment_marker("ev1", Language::En), format!("(ref {code})"));
        let all = markers("ev1");
        assert!(all.contains(&"[ref:ev1]".to_owned()), "{all:?}");
        assert_eq!(all.len(), 3);
    }
}
