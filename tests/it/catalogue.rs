//! The message catalogue (`src/text/`) against the code and against LINE.
//!
//! The rules kept here: every text a person reads comes from the catalogue
//! — each field is used, and the files that build LINE and kintone texts
//! hold no English sentence of their own; every text, in both languages,
//! fits LINE's limits and makes messages LINE accepts; the card stays under
//! 30 KB with long Japanese titles and values, wraps its texts and cuts
//! only at a character, with `…`.

use kintone_line_gateway::config::template::Template;
use kintone_line_gateway::config::ACK_PLACEHOLDERS;
use kintone_line_gateway::line::flex::{
    alt_text, NotificationCard, MAX_ALT_TEXT_CHARS, MAX_BUBBLE_BYTES, MAX_DISPLAY_TEXT_CHARS,
    MAX_LABEL_CHARS,
};
use kintone_line_gateway::line::message::Message;
use kintone_line_gateway::text::{fill, Language};
use serde_json::{json, Value};

use crate::architecture::{sources, src};
use crate::openapi::line_messaging_api;

/// Whether `code` reads catalogue field `name` (`texts.name`,
/// `….catalogue().name`), not a longer name that starts with it.
fn reads_field(code: &str, name: &str) -> bool {
    ["texts.", "catalogue()."].iter().any(|via| {
        let needle = format!("{via}{name}");
        code.match_indices(&needle).any(|(at, _)| {
            let next = code[at + needle.len()..].chars().next();
            !next.is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
    })
}

#[test]
fn every_catalogue_text_is_used_outside_the_catalogue() {
    let text_dir = src().join("text");
    let code: String = sources(&src())
        .iter()
        .filter(|f| !f.starts_with(&text_dir))
        .map(|f| std::fs::read_to_string(f).expect("readable source"))
        .collect();
    assert!(
        reads_field("x = texts.busy;", "busy"),
        "the check can see a use"
    );
    assert!(
        !reads_field("texts.busy_x", "busy"),
        "a longer name is not a use"
    );
    let unused: Vec<&str> = Language::Ja
        .catalogue()
        .entries()
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| !reads_field(&code, name))
        .collect();
    assert!(unused.is_empty(), "catalogue texts nobody uses: {unused:?}");
}

/// The files that build what people read in LINE and kintone.
const TEXT_BUILDERS: &[&str] = &[
    "inbox_worker",
    "notify/card.rs",
    "line/flex/card.rs",
    "acknowledge/writeback/comment.rs",
    "acknowledge/vars.rs",
    "config/ack.rs",
    "indicator/panel.rs",
];

/// The files that build what an admin reads from `check-config`, `doctor`
/// and the `STATUS=` line: their words are in the `said!` tables beside
/// them (`words.rs`, `section_words.rs`, `indicator_words.rs`), in both
/// languages.
const ADMIN_TEXT_BUILDERS: &[&str] = &["config", "doctor", "cli/check.rs", "service"];

/// The `said!` tables (`words.rs`, `section_words.rs`, …), where both
/// languages are written.
fn is_word_table(file: &std::path::Path) -> bool {
    file.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with("words.rs"))
}

/// Literals in those files that are English on purpose: audit and log
/// reasons, errors and config problems for the admin, never sent to a
/// person in LINE or written to kintone.
const INTERNAL: &[&str] = &[
    "the stored card is not a bubble",
    "the stored card's body has no contents",
    "the card with its banner is over LINE's 30 KB",
    "app {} not configured",
    "reply-failed: {e}",
    "reply deadline passed",
    "reply token expired",
    "refused: unknown notification",
    "refused: data does not match the notification",
    "refused: not a recipient",
    "refused: not linked staff",
    "{first}; outcome not pushed (confirm_late_success = false)",
    "{first}; outcome not pushed (no LINE user)",
    "{first}; outcome not pushed ({e})",
    "{first}; outcome pushed",
    "bad app or record id",
    "app {app_id} is no longer configured",
];

/// The string literals of `code` outside tests, comments, log macros and
/// error attributes, as written (escapes kept).
fn literals(code: &str) -> Vec<String> {
    let code = code.split("#[cfg(test)]").next().unwrap_or_default();
    let mut out = Vec::new();
    let mut log_depth = 0i32;
    for line in code.lines() {
        let t = line.trim_start();
        if t.starts_with("//") {
            continue;
        }
        let opens_log = t.contains("tracing::") || t.starts_with("#[error(");
        if log_depth > 0 || opens_log {
            log_depth += paren_balance(t);
            log_depth = log_depth.max(0);
            continue;
        }
        out.extend(quoted(t));
    }
    out
}

fn paren_balance(s: &str) -> i32 {
    s.chars()
        .map(|c| match c {
            '(' => 1,
            ')' => -1,
            _ => 0,
        })
        .sum()
}

/// The `"…"` literals on one line.
fn quoted(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        // A char literal '"' is not a string.
        if c == '\'' && line[i..].starts_with("'\"'") {
            chars.next();
            chars.next();
            continue;
        }
        if c != '"' {
            continue;
        }
        let mut lit = String::new();
        while let Some((_, c)) = chars.next() {
            match c {
                '\\' => {
                    lit.push('\\');
                    if let Some((_, e)) = chars.next() {
                        lit.push(e);
                    }
                }
                '"' => break,
                c => lit.push(c),
            }
        }
        out.push(lit);
    }
    out
}

/// Whether a literal reads like English for a person: words with a space
/// between, or a capitalised word — once `{…}` format arguments are gone.
fn reads_like_english(lit: &str) -> bool {
    let mut bare = String::new();
    let mut depth = 0;
    for c in lit.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            c if depth == 0 => bare.push(c),
            _ => {}
        }
    }
    let words: Vec<&str> = bare
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 2)
        .collect();
    let sentence = words.len() >= 2 && bare.contains(' ');
    let capitalised = words.iter().any(|w| {
        w.len() >= 4
            && w.starts_with(|c: char| c.is_ascii_uppercase())
            && w[1..].chars().all(|c| c.is_ascii_lowercase())
    });
    sentence || capitalised
}

#[test]
fn the_files_that_build_texts_hold_no_english_of_their_own() {
    // The check itself: these would be caught.
    for caught in [
        "Received — recording…",
        "Acknowledge",
        "+{hidden} more in kintone",
        "Sorry, I don't know that button.",
    ] {
        assert!(reads_like_english(caught), "{caught}");
    }
    for passed in [
        "#{} {title}",
        "{previous} → {}",
        "LINE",
        "comment",
        "panel:{}",
    ] {
        assert!(!reads_like_english(passed), "{passed}");
    }
    assert_eq!(
        literals("let a = \"One two\";\ntracing::info!(\n    \"log words\",\n);\n// \"Not code\"\nlet b = '\"';"),
        ["One two"]
    );

    let mut files = Vec::new();
    for part in TEXT_BUILDERS.iter().chain(ADMIN_TEXT_BUILDERS) {
        let path = src().join(part);
        if path.is_dir() {
            files.extend(sources(&path));
        } else {
            files.push(path);
        }
    }
    // Unit tests beside the code quote what they check.
    files.retain(|f| !is_word_table(f) && !f.ends_with("tests.rs"));
    assert!(
        files.len() >= 40,
        "the files that build texts were not found"
    );
    let mut found = Vec::new();
    for file in &files {
        let code = std::fs::read_to_string(file).expect("readable source");
        for lit in literals(&code) {
            if reads_like_english(&lit) && !INTERNAL.contains(&lit.as_str()) {
                found.push(format!("{}: {lit:?}", file.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "person-facing texts outside the catalogue (move them to src/text/, or list \
         an internal one in INTERNAL):\n{}",
        found.join("\n")
    );
}

/// Long values for every `{…}` parameter a text names.
const LONG_ARGS: &[(&str, &str)] = &[
    ("record", "18446744073709551615"),
    ("name", "長谷川 由紀子（営業部 第二営業課 課長代理）"),
    ("by", "長谷川 由紀子（営業部 第二営業課 課長代理）"),
    ("app", "4294967295"),
    ("count", "999"),
    ("code", "7GQ2M0XA"),
    ("id", "U1234567"),
    ("status", "承認待ち"),
    ("title", "屋根の修理"),
    ("n", "20"),
    (
        "before",
        "長谷川 由紀子（営業部 第二営業課 課長代理）、佐藤 花子、事務所グループ",
    ),
];

/// Every text with its parameters filled with long values; a `reason` is
/// the longest reason; the template defaults rendered as templates.
fn rendered(language: Language) -> Vec<(&'static str, String)> {
    let texts = language.catalogue();
    let reasons = [
        texts.reason_unauthorized,
        texts.reason_not_found,
        texts.reason_rejected,
        texts.reason_other,
    ];
    let longest = reasons
        .iter()
        .max_by_key(|r| r.chars().count())
        .copied()
        .unwrap_or_default();
    let mut args = LONG_ARGS.to_vec();
    args.push(("reason", longest));
    texts
        .entries()
        .iter()
        .map(
            |(name, text)| match Template::parse(text, ACK_PLACEHOLDERS) {
                Ok(t) if text.contains("{{") => (*name, t.render(|k| long_value(&args, k))),
                _ => (*name, fill(text, &args)),
            },
        )
        .collect()
}

/// A template placeholder's long value (the time as `{{time}}` renders).
fn long_value(args: &[(&str, &str)], placeholder: &str) -> Option<String> {
    const MORE: [(&str, &str); 2] = [("time", "2026-12-01 14:05"), ("via", "LINE")];
    args.iter()
        .chain(MORE.iter())
        .find(|(n, _)| *n == placeholder)
        .map(|(_, v)| (*v).to_owned())
}

#[test]
fn every_text_in_both_languages_fits_line_and_makes_a_valid_message() {
    for language in Language::ALL {
        let texts = language.catalogue();
        let all = rendered(language);
        for (name, text) in &all {
            assert!(!text.trim().is_empty(), "{language:?} {name} is empty");
            assert!(!text.contains('{'), "{language:?} {name}: {text}");
            // LINE's text message limit, with room: none is cut.
            assert!(text.chars().count() <= 500, "{language:?} {name}: {text}");
        }
        // Button labels: LINE's limit for a Flex button is 40; the 20 LINE
        // sets for quick replies and templates keeps them on one line.
        let budget = MAX_LABEL_CHARS.min(20);
        for label in [texts.card_acknowledge, texts.card_open] {
            let n = label.chars().count();
            assert!(n <= budget, "{language:?} label {label:?}: {n} characters");
        }
        let shown = fill(texts.card_acknowledge_shown, LONG_ARGS);
        assert!(shown.chars().count() <= MAX_DISPLAY_TEXT_CHARS, "{shown}");
        // Every text as a text message in a push LINE accepts.
        let messages: Vec<Message> = all.iter().map(|(_, t)| Message::text(t.clone())).collect();
        for chunk in messages.chunks(5) {
            let body = json!({"to": "U4af4980629a0bd3cd2ca7d1b1e1cd4f4", "messages": chunk});
            if let Err(e) = line_messaging_api().validate("PushMessageRequest", &body) {
                panic!(
                    "{language:?}: LINE would refuse {body:#}:\n{}",
                    e.join("\n")
                );
            }
        }
    }
}

#[test]
fn japanese_texts_use_full_width_punctuation_and_english_ones_do_not() {
    for (name, text) in Language::Ja.catalogue().entries() {
        let bare = text.replace("{{", "").replace("}}", "");
        let half: Vec<char> = bare.chars().filter(|c| ",.!?:;()[]".contains(*c)).collect();
        assert!(half.is_empty(), "ja {name}: {half:?} in {text:?}");
    }
    for (name, text) in Language::En.catalogue().entries() {
        let full: Vec<char> = text
            .chars()
            .filter(|c| "、。「」（）！？：【】".contains(*c))
            .collect();
        assert!(full.is_empty(), "en {name}: {full:?} in {text:?}");
    }
}

/// A card with a long Japanese title and many long Japanese field values.
fn long_card(language: Language) -> NotificationCard {
    let value = "雨が降ると二階の天井から水が漏れるため、至急の修理をお願いします。".repeat(12);
    NotificationCard {
        app_name: "修繕依頼（本社・東日本エリア 施設管理課）".repeat(3),
        status: "部長承認待ち（差し戻し後の再申請）".into(),
        previous: Some("課長承認待ち".into()),
        title: "本社ビル三階東側会議室の天井と窓枠の雨漏り修理および内装の張り替え".repeat(3),
        record_id: 123_456,
        fields: (1..=60)
            .map(|i| (format!("確認事項{i}（担当者の記入欄）"), value.clone()))
            .collect(),
        ack_data: Some("ack:v1::7:123456:01hx".into()),
        open_url: Some("https://example.cybozu.com/k/7/show#record=123456".into()),
        language,
    }
}

/// Every `text` component of a Flex value.
fn text_components(v: &Value) -> Vec<&Value> {
    match v {
        Value::Object(m) if m.get("type") == Some(&json!("text")) => vec![v],
        Value::Object(m) => m.values().flat_map(text_components).collect(),
        Value::Array(a) => a.iter().flat_map(text_components).collect(),
        _ => vec![],
    }
}

#[test]
fn a_long_japanese_card_fits_wraps_and_cuts_at_a_character_in_both_languages() {
    for language in Language::ALL {
        let texts = language.catalogue();
        let card = long_card(language);
        let bubble = card.to_bubble().expect("the card fits");
        let bytes = bubble.json_bytes();
        assert!(bytes <= MAX_BUBBLE_BYTES, "{language:?}: {bytes} bytes");
        let json = bubble.to_json().expect("bubble JSON");
        let alt = alt_text(&card);
        assert!(alt.chars().count() <= MAX_ALT_TEXT_CHARS, "{alt}");
        let body = json!({"to": "U4af4980629a0bd3cd2ca7d1b1e1cd4f4",
            "messages": [{"type": "flex", "altText": alt, "contents": json}]});
        if let Err(e) = line_messaging_api().validate("PushMessageRequest", &body) {
            panic!(
                "{language:?}: LINE would refuse the card:\n{}",
                e.join("\n")
            );
        }

        // Every text wraps onto further lines rather than running off.
        let components = text_components(&json);
        for t in &components {
            assert_eq!(t["wrap"], true, "{language:?}: {t}");
        }
        // A cut value keeps whole characters and says so with `…`.
        let value = &card.fields[0].1;
        let shown = components
            .iter()
            .filter_map(|t| t["text"].as_str())
            .find(|s| s.starts_with("雨が降ると"))
            .expect("the first value is shown");
        assert!(shown.ends_with('…'), "{shown}");
        let kept = shown.trim_end_matches('…');
        assert!(value.starts_with(kept) && kept.len() < value.len());
        // Rows were shed to fit, and the note says how many, in the language.
        let table = &json["body"]["contents"][2]["contents"];
        let hidden = card.fields.len() - table.as_array().expect("rows").len();
        assert!(hidden > 0, "{language:?}: the card was meant to overflow");
        let note = fill(texts.card_more, &[("count", &hidden.to_string())]);
        assert!(
            components.iter().any(|t| t["text"] == note.as_str()),
            "{language:?}: no {note:?}"
        );
        let footer = &json["footer"]["contents"];
        assert_eq!(footer[0]["action"]["label"], texts.card_acknowledge);
        assert_eq!(footer[1]["action"]["label"], texts.card_open);
    }
}

/// The `{name}` parameters of a text, sorted.
fn page_params(s: &str) -> Vec<String> {
    let mut v: Vec<String> = s
        .split('{')
        .skip(1)
        .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_owned()))
        .collect();
    v.sort();
    v
}

/// The web page's words (`text/page*.rs`): each is read by `src/ui/`
/// (`t.name`), and both languages name the same parameters.
#[test]
fn every_page_text_is_used_by_the_page_in_both_languages() {
    let ui: String = sources(&src().join("ui"))
        .iter()
        .map(|f| std::fs::read_to_string(f).expect("readable source"))
        .collect();
    let used = |name: &str| {
        ["t.", "page()."].iter().any(|via| {
            let needle = format!("{via}{name}");
            ui.match_indices(&needle).any(|(at, _)| {
                let next = ui[at + needle.len()..].chars().next();
                !next.is_some_and(|c| c.is_alphanumeric() || c == '_')
            })
        })
    };
    let ja = Language::Ja.page().entries();
    let en = Language::En.page().entries();
    let unused: Vec<&str> = ja.iter().map(|(n, _)| *n).filter(|n| !used(n)).collect();
    assert!(unused.is_empty(), "page texts nobody uses: {unused:?}");
    for ((name, j), (_, e)) in ja.iter().zip(&en) {
        assert_eq!(
            page_params(j),
            page_params(e),
            "{name}: ja {j:?} / en {e:?}"
        );
        assert!(!j.is_empty() && !e.is_empty(), "{name} is empty");
    }
}
