//! The audit row's stored codes (`written`, `replied`, …) as a person
//! reads them: English shows the codes themselves (what `acks --json` and
//! the store hold), Japanese says them in words. A code not known here (a
//! refusal's reason) is shown as stored.

use super::Language;

/// `code` (an outcome or a reply) for a person reading `lang`.
pub fn audit_word(lang: Language, code: &str) -> String {
    if lang == Language::En {
        return code.to_owned();
    }
    // A reply after an interim one: "replied-early; outcome pushed".
    code.split("; ")
        .map(japanese)
        .collect::<Vec<_>>()
        .join("、")
}

/// One code (or one part of a composite reply code) in Japanese.
fn japanese(code: &str) -> String {
    let word = match code {
        "written" => "kintone に記録",
        "already-written" => "記録済みだった",
        "already-acknowledged" => "確認済みだった",
        "refused: unknown notification" => "受け付けず（知らない通知）",
        "refused: data does not match the notification" => "受け付けず（通知と内容が合わない）",
        "refused: not a recipient" => "受け付けず（送り先ではない人）",
        "refused: not linked staff" => "受け付けず（スタッフとして登録されていない人）",
        "replied" => "Reply で返答",
        "replied-early" => "先に Reply で「記録中」と返答",
        "fallback-push" => "Push で知らせた（Reply の期限切れ）",
        "fallback-none" => "返答なし（Reply の期限切れ）",
        "none" => "返答なし",
        "outcome pushed" => "結果を Push で知らせた",
        "outcome not pushed (no LINE user)" => "結果は知らせていない（LINE の相手が分からない）",
        _ => {
            for (prefix, said) in [
                ("reply-failed: ", "返答に失敗："),
                ("failed: ", "失敗："),
                ("outcome not pushed (", "結果は知らせていない（"),
            ] {
                if let Some(rest) = code.strip_prefix(prefix) {
                    // A bracket opened by the prefix closes in Japanese too.
                    return match rest.strip_suffix(')').filter(|_| prefix.ends_with('(')) {
                        Some(inner) => format!("{said}{inner}）"),
                        None => format!("{said}{rest}"),
                    };
                }
            }
            return code.to_owned();
        }
    };
    word.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japanese_says_the_codes_in_words_and_english_keeps_them() {
        assert_eq!(audit_word(Language::Ja, "written"), "kintone に記録");
        assert_eq!(audit_word(Language::Ja, "failed: 403"), "失敗：403");
        assert_eq!(
            audit_word(Language::Ja, "not-a-recipient"),
            "not-a-recipient"
        );
        assert_eq!(audit_word(Language::En, "replied"), "replied");
        assert_eq!(
            audit_word(Language::Ja, "refused: not a recipient"),
            "受け付けず（送り先ではない人）"
        );
        assert_eq!(
            audit_word(Language::Ja, "replied-early; outcome pushed"),
            "先に Reply で「記録中」と返答、結果を Push で知らせた"
        );
        assert_eq!(
            audit_word(
                Language::Ja,
                "replied-early; outcome not pushed (confirm_late_success = false)"
            ),
            "先に Reply で「記録中」と返答、結果は知らせていない（confirm_late_success = false）"
        );
    }
}
