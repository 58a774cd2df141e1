//! What the config's problems say, in its `language` (Japanese unless it
//! says `en`): the list's heading, where each problem is, and the words the
//! [`Reader`](super::reader::Reader) uses for every key. Keys, lines,
//! columns and values stay as written; only the words around them change.

use crate::secret::SecretError;
use crate::text::said::{said, Said};
use crate::text::Language;

said! {
    // framing
    PROBLEMS_IN {
        ja: "{path} に直すところが {n} 件あります：",
        en: "{n} problem(s) in {path}:",
    }
    AT_LINE_COLUMN {
        ja: "{line} 行目 {column} 文字目：",
        en: "line {line}:{column}: ",
    }
    AT_LINE {
        ja: "{line} 行目：",
        en: "line {line}: ",
    }
    KEY_SAYS {
        ja: "{key}：{message}",
        en: "{key}: {message}",
    }
    CANNOT_READ {
        ja: "設定ファイルを読めません：{e}",
        en: "cannot read config file: {e}",
    }
    NOT_TOML {
        ja: "TOML の書き方に誤りがあります：{e}",
        en: "not valid TOML: {e}",
    }
    // the reader's words, for any key
    UNKNOWN_KEY_NEAR {
        ja: "このキーは使えません。{near} のまちがいではありませんか？",
        en: "unknown key; did you mean {near}?",
    }
    UNKNOWN_KEY {
        ja: "このキーは使えません。ここで使えるキー：{known}",
        en: "unknown key; known here: {known}",
    }
    EXPECTED {
        ja: "{what}で書いてください（いまは{found}）",
        en: "expected {what}, found {found}",
    }
    MISSING {
        ja: "書かれていません（必ず書くキーです）",
        en: "missing (required)",
    }
    MISSING_SECTION {
        ja: "[{section}] の部分がありません",
        en: "missing section [{section}]",
    }
    SECRET_MISSING {
        ja: "書かれていません（必ず書くキーです）：{ file = \"…\" } か { credential = \"…\" } で指定します",
        en: "missing (required): { file = \"…\" } or { credential = \"…\" }",
    }
    SECRET_INLINE {
        ja: "秘密の値は設定ファイルに直接書けません。{ file = \"/path\" } か { credential = \"name\" }（systemd の LoadCredential）で指定してください",
        en: "secrets are never written inline; use { file = \"/path\" } or { credential = \"name\" } (systemd LoadCredential)",
    }
    SECRET_ONE_OF {
        ja: "file = \"/path\" と credential = \"name\" のどちらか一つだけを書いてください",
        en: "expected exactly one of file = \"/path\" or credential = \"name\"",
    }
    SECRET_FOUND {
        ja: "{ file = … } か { credential = … } で書いてください（いまは{found}）",
        en: "expected { file = … } or { credential = … }, found {found}",
    }
    ROTATION_COUNT {
        ja: "入れ替え中は新旧二つの秘密を [新, 旧] の順に書きます。入れ替えが終わったら新しい方だけを書いてください",
        en: "a rotation lists two secrets, [new, old]; after it, write the new one alone",
    }
    ROTATION_SAME {
        ja: "新しい秘密と古い秘密が同じです",
        en: "the new and the old secret are the same",
    }
    NOT_DURATION {
        ja: "{value} は時間の長さとして読めません。\"30s\"、\"2m\"、\"1h\" のように書いてください",
        en: "{value} is not a duration; write e.g. \"30s\", \"2m\", \"1h\"",
    }
    NEGATIVE_DURATION {
        ja: "{value} はマイナスにできません",
        en: "{value} must not be negative",
    }
    NOT_URL {
        ja: "{value} は http(s) の URL ではありません",
        en: "{value} is not an http(s) URL",
    }
    LANGUAGE {
        ja: "\"ja\" か \"en\" を書いてください（いまは {value}）",
        en: "must be \"ja\" or \"en\", not {value}",
    }
    // time_zone
    ZONE_UNKNOWN {
        ja: "{value} は知られている IANA のタイムゾーン名ではありません（\"Asia/Tokyo\" のように書きます）",
        en: "{value} is not a known IANA time zone (like \"Asia/Tokyo\")",
    }
    ZONE_NOT_STRING {
        ja: "文字列（IANA のタイムゾーン名）で書いてください",
        en: "must be a string (an IANA zone name)",
    }
    ZONE_UNNAMED { ja: "（名前のないタイムゾーン）", en: "(an unnamed zone)" }
    ZONE_KEYS_DIFFER {
        ja: "{old} が time_zone の {top} と違います：indicator.time_zone（古いキー）を消してください",
        en: "{old} differs from time_zone {top}: remove indicator.time_zone (deprecated)",
    }
    ZONE_KEY_DEPRECATED {
        ja: "indicator.time_zone は古いキーで、次のリリースでなくなります。代わりに一番上の time_zone を書いてください（夜間の設定、テンプレート、一覧のすべてに使うこの拠点のタイムゾーンです）",
        en: "indicator.time_zone is deprecated and will be removed in the next release: set the top-level time_zone instead (it is the site's zone for quiet hours, templates and listings)",
    }
    ZONE_UTC_WITH_JA {
        ja: "language = \"ja\" なのに time_zone が {zone} です：スタッフが読む時刻が 9 時間ずれます。time_zone = \"Asia/Tokyo\" を書いてください（書かなければシステムのタイムゾーンになります）",
        en: "time_zone is {zone} while language = \"ja\": staff would read times nine hours off; set time_zone = \"Asia/Tokyo\" (the default is the system's zone)",
    }
    // [notify]
    COALESCE_WINDOW_DEPRECATED {
        ja: "notify.coalesce_window はもう使われず、無視されます：プッシュは notify.debounce（長くても notify.max_wait）だけ待ちます。このキーは消してください",
        en: "notify.coalesce_window is no longer used and is ignored: pushes now wait for notify.debounce (and at most notify.max_wait); remove the key",
    }
    // words several sections use
    USE_ONE_OF {
        ja: "{value} は使えません。{choices} のどれかを書いてください",
        en: "{value}: use {choices}",
    }
    LIST {
        ja: "、",
        en: ", ",
    }
    OR {
        ja: " か ",
        en: " or ",
    }
    AT_LEAST {
        ja: "{min} 以上にしてください",
        en: "must be at least {min}",
    }
    APP_ID {
        ja: "正の数のアプリ ID を書いてください",
        en: "must be a positive app id",
    }
    NOT_ADDRESS {
        ja: "{value} はアドレスとして読めません。{example} のように書いてください",
        en: "{value} is not an address like {example}",
    }
    // a secret that cannot be loaded (English: `SecretError`'s own words)
    SECRET_READ {
        ja: "秘密の値のファイル {path} を読めません：{e}",
        en: "cannot read secret file {path}: {e}",
    }
    SECRET_TOO_OPEN {
        ja: "秘密の値のファイル {path} をグループやほかの人が読めます（モード {mode}）。`chmod 600 {path}` を実行してください",
        en: "secret file {path} is readable by group or others (mode {mode}); run `chmod 600 {path}`",
    }
    SECRET_NOT_OWNED {
        ja: "秘密の値のファイル {path} の持ち主は uid {owner} で、サービスのユーザーでも root でもありません。`chown {user} {path}` を実行してください",
        en: "secret file {path} is owned by uid {owner}, not by the service's user or root; run `chown {user} {path}`",
    }
    SECRET_OPEN_FOLDER {
        ja: "秘密の値のファイル {path} のフォルダー {dir} に、グループやほかの人が書き込めます（モード {mode}）。`chmod go-w {dir}` を実行してください",
        en: "the folder {dir} of secret file {path} can be written by group or others (mode {mode}); run `chmod go-w {dir}`",
    }
    SECRET_LINK {
        ja: "秘密の値のファイル {link} は {target} へのリンクで、使えません：{why}",
        en: "secret file {link} links to {target}, which is refused: {why}",
    }
    SECRET_EMPTY {
        ja: "秘密の値のファイル {path} が空です",
        en: "secret file {path} is empty",
    }
    SECRET_NO_CREDENTIALS {
        ja: "credential {name} を指定していますが、$CREDENTIALS_DIRECTORY がありません。サービスの外では、サービスと同じように実行してください（sudo systemd-run --pty --wait --collect -p User=kintone-line-gateway -p LoadCredential=klg:/etc/kintone-line-gateway/credentials kintone-line-gateway …）。または file = \"…\" を使ってください",
        en: "credential {name} requested but $CREDENTIALS_DIRECTORY is not set: outside the service, run the command as the service does (sudo systemd-run --pty --wait --collect -p User=kintone-line-gateway -p LoadCredential=klg:/etc/kintone-line-gateway/credentials kintone-line-gateway …), or use file = \"…\"",
    }
    // the kinds of TOML value, for EXPECTED
    KIND_STRING { ja: "文字列", en: "a string" }
    KIND_INTEGER { ja: "整数", en: "an integer" }
    KIND_FLOAT { ja: "小数", en: "a float" }
    KIND_BOOLEAN { ja: "true か false の値", en: "true or false" }
    KIND_DATETIME { ja: "日時", en: "a datetime" }
    KIND_ARRAY { ja: "配列", en: "an array" }
    KIND_TABLE { ja: "テーブル", en: "a table" }
    KIND_TABLES { ja: "テーブルの配列（[[…]]）", en: "an array of tables" }
    KIND_STRINGS { ja: "文字列の配列", en: "an array of strings" }
}

/// Why a secret could not be loaded, in `language`: the file and the fix,
/// never the content. English is the error's own text.
pub(super) fn secret_error(language: Language, e: &SecretError) -> String {
    if language == Language::En {
        return e.to_string();
    }
    let shown = |p: &std::path::Path| p.display().to_string();
    match e {
        SecretError::Read { path, source } => {
            let args = [("path", shown(path)), ("e", source.to_string())];
            fill(&SECRET_READ, language, &args)
        }
        SecretError::TooOpen { path, mode } => {
            let args = [("path", shown(path)), ("mode", format!("{mode:o}"))];
            fill(&SECRET_TOO_OPEN, language, &args)
        }
        SecretError::NotOwned { path, owner, user } => {
            let args = [
                ("path", shown(path)),
                ("owner", owner.to_string()),
                ("user", user.clone()),
            ];
            fill(&SECRET_NOT_OWNED, language, &args)
        }
        SecretError::OpenFolder { path, dir, mode } => {
            let args = [
                ("path", shown(path)),
                ("dir", shown(dir)),
                ("mode", format!("{mode:o}")),
            ];
            fill(&SECRET_OPEN_FOLDER, language, &args)
        }
        SecretError::Link {
            link,
            target,
            source,
        } => {
            let why = secret_error(language, source);
            let args = [
                ("link", shown(link)),
                ("target", shown(target)),
                ("why", why),
            ];
            fill(&SECRET_LINK, language, &args)
        }
        SecretError::Empty { path } => fill(&SECRET_EMPTY, language, &[("path", shown(path))]),
        SecretError::NoCredentialsDirectory { name } => fill(
            &SECRET_NO_CREDENTIALS,
            language,
            &[("name", format!("{name:?}"))],
        ),
    }
}

/// `said` filled from owned values.
fn fill<const N: usize>(said: &Said, language: Language, args: &[(&str, String); N]) -> String {
    let args = args.each_ref().map(|(k, v)| (*k, v.as_str()));
    said.fill(language, &args)
}

/// `choices` quoted and joined as a person lists them: `"a", "b" or "c"`.
pub(super) fn choices(language: Language, choices: &[&str]) -> String {
    let quoted: Vec<String> = choices.iter().map(|c| format!("{c:?}")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => {
            let rest = rest.join(LIST.in_(language));
            format!("{rest}{}{last}", OR.in_(language))
        }
        None => String::new(),
    }
}

/// A TOML value's kind (`Value::type_str`) in `language`: TOML's own word
/// in English.
pub(super) fn kind(language: Language, type_str: &'static str) -> &'static str {
    if language == Language::En {
        return type_str;
    }
    match type_str {
        "string" => KIND_STRING,
        "integer" => KIND_INTEGER,
        "float" => KIND_FLOAT,
        "boolean" => KIND_BOOLEAN,
        "datetime" => KIND_DATETIME,
        "array" => KIND_ARRAY,
        _ => KIND_TABLE,
    }
    .in_(language)
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_languages_take_the_same_parameters_and_each_is_its_language() {
        crate::text::said::check_table(super::ALL);
    }

    #[test]
    fn choices_read_as_a_list_in_each_language() {
        use crate::text::Language;
        let all = ["gpio", "rppal", "none"];
        assert_eq!(
            super::choices(Language::En, &all),
            r#""gpio", "rppal" or "none""#
        );
        assert_eq!(
            super::choices(Language::Ja, &all),
            r#""gpio"、"rppal" か "none""#
        );
        assert_eq!(super::choices(Language::Ja, &["a"]), r#""a""#);
    }
}
