//! A command's failure, said to whoever ran it in the config's language:
//! what happened to the store and what to do, in plain words. The library's
//! own text (SQLite's, the OS's) follows in brackets, as it is, for a
//! search. Other failures keep their text after a plain first word.

use std::io::ErrorKind as Io;

use rusqlite::ErrorCode as Sql;

use super::words;
use crate::store::{known_schema, StoreError};
use crate::text::Language;

/// The whole message, first line "エラー：…" / "error: …".
pub(super) fn said(e: &anyhow::Error, language: Language) -> String {
    let what = match e.chain().find_map(|c| c.downcast_ref::<StoreError>()) {
        Some(store) => store_error(store, language),
        None => words::FAILED_OTHER.fill(language, &[("e", &format!("{e:#}"))]),
    };
    words::FAILED.fill(language, &[("what", &what)])
}

/// What a store failure means, and what to do about it.
pub(super) fn store_error(e: &StoreError, language: Language) -> String {
    let l = language;
    let shown = |p: &std::path::Path| p.display().to_string();
    match e {
        StoreError::Missing { dir, created } => {
            words::STORE_GONE.fill(l, &[("dir", &shown(dir)), ("created", created)])
        }
        StoreError::Corrupt { path, detail } => {
            words::STORE_DAMAGED.fill(l, &[("path", &shown(path)), ("detail", detail)])
        }
        StoreError::NoStore { path } => words::STORE_NONE.fill(l, &[("path", &shown(path))]),
        StoreError::Version { path, found } => {
            let known = known_schema();
            let said = if *found > known {
                words::STORE_NEWER
            } else {
                words::STORE_OLDER
            };
            let (found, known) = (found.to_string(), known.to_string());
            said.fill(
                l,
                &[("path", &shown(path)), ("found", &found), ("known", &known)],
            )
        }
        StoreError::Open { path, source } => {
            words::STORE_CANNOT_OPEN.fill(l, &[("path", &shown(path)), ("why", &sql(source, l))])
        }
        StoreError::Dir { path, source } => {
            words::STORE_CANNOT_MAKE_DIR.fill(l, &[("path", &shown(path)), ("why", &io(source, l))])
        }
        StoreError::File { path, source } => {
            words::STORE_FILE.fill(l, &[("path", &shown(path)), ("why", &io(source, l))])
        }
        StoreError::Sql(source) => words::STORE_FAILED.fill(l, &[("why", &sql(source, l))]),
        StoreError::Closed | StoreError::Invalid(_) => {
            let detail = e.to_string();
            let why = with_detail(words::WHY_OTHER.in_(l), &detail, l);
            words::STORE_FAILED.fill(l, &[("why", &why)])
        }
    }
}

/// SQLite's refusal in plain words, its own text after them.
fn sql(e: &rusqlite::Error, language: Language) -> String {
    let why = match e.sqlite_error_code() {
        Some(Sql::NotADatabase | Sql::DatabaseCorrupt) => words::WHY_NOT_A_DATABASE,
        Some(Sql::PermissionDenied | Sql::CannotOpen) => words::WHY_NO_PERMISSION,
        Some(Sql::ReadOnly) => words::WHY_READ_ONLY,
        Some(Sql::DiskFull) => words::WHY_FULL,
        Some(Sql::DatabaseBusy | Sql::DatabaseLocked) => words::WHY_BUSY,
        Some(Sql::SystemIoFailure) => words::WHY_IO,
        _ => words::WHY_OTHER,
    };
    with_detail(why.in_(language), &e.to_string(), language)
}

/// The OS's refusal in plain words, its own text after them.
fn io(e: &std::io::Error, language: Language) -> String {
    let why = match e.kind() {
        Io::PermissionDenied => words::WHY_NO_PERMISSION,
        Io::NotFound => words::WHY_NOT_FOUND,
        Io::ReadOnlyFilesystem => words::WHY_READ_ONLY,
        Io::StorageFull => words::WHY_FULL,
        _ => words::WHY_IO,
    };
    with_detail(why.in_(language), &e.to_string(), language)
}

fn with_detail(why: &str, detail: &str, language: Language) -> String {
    words::WHY_WITH_DETAIL.fill(language, &[("why", why), ("detail", detail)])
}

#[cfg(test)]
mod tests {
    use super::*;
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
