//! A store's failure in plain words, in the reader's language: what
//! happened and what to do, SQLite's or the OS's own text after it in
//! brackets, as it is, for a search. The commands (`cli`) and `doctor` say
//! it so; the logs keep [`StoreError`]'s English.

use std::io::ErrorKind as Io;

use rusqlite::ErrorCode as Sql;

use super::{known_schema, StoreError};
use crate::text::said::{said, Said};
use crate::text::Language;

said! {
    STORE_CANNOT_OPEN {
        ja: "ストア {path} を開けません：{why}",
        en: "cannot open the store {path}: {why}",
    }
    STORE_CANNOT_MAKE_DIR {
        ja: "状態フォルダー {path} を作れません：{why}",
        en: "cannot create the state directory {path}: {why}",
    }
    STORE_FILE {
        ja: "{path}：{why}",
        en: "{path}: {why}",
    }
    STORE_FAILED {
        ja: "ストアの読み書きに失敗しました：{why}",
        en: "the store failed: {why}",
    }
    STORE_DAMAGED {
        ja: "ストア {path} が壊れています（{detail}）。サービスを止めて `kintone-line-gateway store rescue --config <設定ファイル>` を実行してください。壊れたファイルは消さずに脇へ移し、読めるものを新しいストアに写して、失われたものを一覧にします。",
        en: "the store {path} is damaged ({detail}). Stop the service and run `kintone-line-gateway store rescue --config <config>`: it moves the damaged file aside (kept), copies what can still be read into a new store and lists what was lost.",
    }
    STORE_GONE {
        ja: "{dir} にあったストア（{created} に作成）がなくなっています：gateway.db がありません。バックアップの gateway.db（-wal ファイルがあればそれも）を {dir} に戻してください。空のストアでやり直すなら、一度だけ `run --new-store` で起動してください（送信待ちの作業とスタッフのつながりはすべて失われます）。",
        en: "the store in {dir} (created {created}) is gone: gateway.db is missing. Restore gateway.db (with its -wal file, if the backup has one) into {dir}, or, to start again with an empty store on purpose (every queued event and the staff links are lost), run once with `run --new-store`.",
    }
    STORE_NONE {
        ja: "{path} にストアがまだありません。サービスがまだ一度も動いていないか、設定の state_dir が別のフォルダーを指しています。",
        en: "no store yet at {path}: the service has not run (or the config's state_dir names another directory).",
    }
    STORE_NEWER {
        ja: "{path} のストアは新しい版のゲートウェイが書いたものです（スキーマ {found}、この版が分かるのは {known} まで）。kintone-line-gateway を新しくしてください。",
        en: "the store at {path} was written by a newer gateway (schema {found}; this one knows {known}): upgrade kintone-line-gateway.",
    }
    STORE_OLDER {
        ja: "{path} のストアは古い版のゲートウェイのものです（スキーマ {found}、この版は {known}）。サービスを一度起動するとストアが新しくなります。そのあと、もう一度実行してください。",
        en: "the store at {path} is from an older gateway (schema {found}; this one needs {known}): start the service once, it upgrades the store, then run this again.",
    }
    WHY_NOT_A_DATABASE {
        ja: "SQLite のデータベースではありません（壊れているか、別のファイルです）",
        en: "not an SQLite database (damaged, or another file)",
    }
    WHY_NO_PERMISSION {
        ja: "読み書きの権限がありません",
        en: "permission denied",
    }
    WHY_NOT_FOUND {
        ja: "見つかりません",
        en: "not found",
    }
    WHY_READ_ONLY {
        ja: "書き込めません（読み取り専用です）",
        en: "read-only",
    }
    WHY_FULL {
        ja: "ディスクがいっぱいです",
        en: "the disk is full",
    }
    WHY_BUSY {
        ja: "ほかのプロセスが使っています。少し待ってから、もう一度実行してください",
        en: "another process holds it; try again in a moment",
    }
    WHY_IO {
        ja: "ディスクの読み書きに失敗しました",
        en: "the disk could not be read or written",
    }
    WHY_OTHER {
        ja: "思わぬエラーです",
        en: "an unexpected error",
    }
    WHY_WITH_DETAIL {
        ja: "{why}（{detail}）",
        en: "{why} ({detail})",
    }
}

/// What a store failure means, and what to do about it.
pub fn plain(e: &StoreError, language: Language) -> String {
    let l = language;
    let shown = |p: &std::path::Path| p.display().to_string();
    match e {
        StoreError::Missing { dir, created } => {
            STORE_GONE.fill(l, &[("dir", &shown(dir)), ("created", created)])
        }
        StoreError::Corrupt { path, detail } => {
            STORE_DAMAGED.fill(l, &[("path", &shown(path)), ("detail", detail)])
        }
        StoreError::NoStore { path } => STORE_NONE.fill(l, &[("path", &shown(path))]),
        StoreError::Version { path, found } => {
            let known = known_schema();
            let said = if *found > known {
                STORE_NEWER
            } else {
                STORE_OLDER
            };
            let (found, known) = (found.to_string(), known.to_string());
            said.fill(
                l,
                &[("path", &shown(path)), ("found", &found), ("known", &known)],
            )
        }
        StoreError::Open { path, source } => {
            STORE_CANNOT_OPEN.fill(l, &[("path", &shown(path)), ("why", &sql(source, l))])
        }
        StoreError::Dir { path, source } => {
            STORE_CANNOT_MAKE_DIR.fill(l, &[("path", &shown(path)), ("why", &io(source, l))])
        }
        StoreError::File { path, source } => {
            STORE_FILE.fill(l, &[("path", &shown(path)), ("why", &io(source, l))])
        }
        StoreError::Sql(source) => STORE_FAILED.fill(l, &[("why", &sql(source, l))]),
        StoreError::Closed | StoreError::Invalid(_) => {
            let detail = e.to_string();
            let why = with_detail(WHY_OTHER.in_(l), &detail, l);
            STORE_FAILED.fill(l, &[("why", &why)])
        }
    }
}

/// What a library or the OS refused, as a person is told it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Why {
    NotADatabase,
    NoPermission,
    NotFound,
    /// SQLite's: the file is not writable for this user.
    ReadOnly,
    /// The OS's: the whole file system is mounted read-only.
    ReadOnlyFileSystem,
    Full,
    Busy,
    Io,
    Other,
}

impl Why {
    fn of_sql(e: &rusqlite::Error) -> Why {
        match e.sqlite_error_code() {
            Some(Sql::NotADatabase | Sql::DatabaseCorrupt) => Why::NotADatabase,
            Some(Sql::PermissionDenied | Sql::CannotOpen) => Why::NoPermission,
            Some(Sql::ReadOnly) => Why::ReadOnly,
            Some(Sql::DiskFull) => Why::Full,
            Some(Sql::DatabaseBusy | Sql::DatabaseLocked) => Why::Busy,
            Some(Sql::SystemIoFailure) => Why::Io,
            _ => Why::Other,
        }
    }

    fn of_io(e: &std::io::Error) -> Why {
        match e.kind() {
            Io::PermissionDenied => Why::NoPermission,
            Io::NotFound => Why::NotFound,
            Io::ReadOnlyFilesystem => Why::ReadOnlyFileSystem,
            Io::StorageFull => Why::Full,
            _ => Why::Io,
        }
    }

    fn said(self) -> Said {
        match self {
            Why::NotADatabase => WHY_NOT_A_DATABASE,
            Why::NoPermission => WHY_NO_PERMISSION,
            Why::NotFound => WHY_NOT_FOUND,
            Why::ReadOnly | Why::ReadOnlyFileSystem => WHY_READ_ONLY,
            Why::Full => WHY_FULL,
            Why::Busy => WHY_BUSY,
            Why::Io => WHY_IO,
            Why::Other => WHY_OTHER,
        }
    }
}

/// SQLite's refusal in plain words, its own text after them.
fn sql(e: &rusqlite::Error, language: Language) -> String {
    with_detail(
        Why::of_sql(e).said().in_(language),
        &e.to_string(),
        language,
    )
}

/// The OS's refusal in plain words, its own text after them.
fn io(e: &std::io::Error, language: Language) -> String {
    with_detail(Why::of_io(e).said().in_(language), &e.to_string(), language)
}

fn with_detail(why: &str, detail: &str, language: Language) -> String {
    WHY_WITH_DETAIL.fill(language, &[("why", why), ("detail", detail)])
}

/// The failure is a refused permission (the command run as another user).
pub fn is_permission(e: &StoreError) -> bool {
    let why = match e {
        StoreError::Open { source, .. } | StoreError::Sql(source) => Why::of_sql(source),
        StoreError::Dir { source, .. } | StoreError::File { source, .. } => Why::of_io(source),
        _ => return false,
    };
    matches!(why, Why::NoPermission | Why::ReadOnly)
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_languages_take_the_same_parameters_and_each_is_its_language() {
        crate::text::said::check_table(super::ALL);
    }
}
