//! A command's failure, said to whoever ran it in the config's language:
//! a store's failure in plain words with what to do (`store::said`), a
//! refused permission with whom to run it as. Other failures keep their
//! text after a plain first word.

use super::words;
use crate::store::{said as store_said, StoreError};
use crate::text::Language;

/// The whole message, first line "エラー：…" / "error: …".
pub(super) fn said(e: &anyhow::Error, language: Language) -> String {
    let what = match e.chain().find_map(|c| c.downcast_ref::<StoreError>()) {
        Some(store) if store_said::is_permission(store) => format!(
            "{}{}",
            store_said::plain(store, language),
            words::FAILED_PERMISSION.in_(language)
        ),
        Some(store) => store_said::plain(store, language),
        None => words::FAILED_OTHER.fill(language, &[("e", &format!("{e:#}"))]),
    };
    words::FAILED.fill(language, &[("what", &what)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::known_schema;
    use std::io::ErrorKind as Io;
    use std::path::PathBuf;

    fn ja(e: StoreError) -> String {
        said(&anyhow::Error::new(e), Language::Ja)
    }

    #[test]
    fn a_store_failure_is_said_in_plain_japanese_with_what_to_do() {
        let not_a_db = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_NOTADB),
            Some("file is not a database".into()),
        );
        assert_eq!(
            ja(StoreError::Sql(not_a_db)),
            "エラー：ストアの読み書きに失敗しました：SQLite のデータベースではありません\
             （壊れているか、別のファイルです）（file is not a database）"
        );
        let denied = StoreError::Dir {
            path: PathBuf::from("/var/lib/klg"),
            source: std::io::Error::from(Io::PermissionDenied),
        };
        assert!(ja(denied).starts_with(
            "エラー：状態フォルダー /var/lib/klg を作れません：読み書きの権限がありません"
        ),);
        let none = ja(StoreError::NoStore {
            path: PathBuf::from("/s/gateway.db"),
        });
        assert!(
            none.contains("/s/gateway.db にストアがまだありません"),
            "{none}"
        );
        let newer = ja(StoreError::Version {
            path: PathBuf::from("/s"),
            found: known_schema() + 1,
        });
        assert!(
            newer.contains("kintone-line-gateway を新しくしてください"),
            "{newer}"
        );
        let english = said(
            &anyhow::Error::new(StoreError::NoStore {
                path: PathBuf::from("/s/gateway.db"),
            }),
            Language::En,
        );
        assert!(
            english.starts_with("error: no store yet at /s/gateway.db"),
            "{english}"
        );
    }

    #[test]
    fn another_failure_keeps_its_text_after_a_plain_first_word() {
        let e = anyhow::anyhow!("LINE answered 401");
        assert_eq!(
            said(&e, Language::Ja),
            "エラー：実行できませんでした：LINE answered 401"
        );
        assert_eq!(said(&e, Language::En), "error: LINE answered 401");
    }
}
