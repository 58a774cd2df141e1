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
    let word = match code {
        "written" => "kintone に記録",
        "already-written" => "記録済みだった",
        "already-acknowledged" => "確認済みだった",
        "replied" => "Reply で返答",
        "fallback-push" => "Push で知らせた（Reply の期限切れ）",
        "fallback-none" => "返答なし（Reply の期限切れ）",
        "none" => "返答なし",
        _ => {
            for (prefix, said) in [("reply-failed: ", "返答に失敗："), ("failed: ", "失敗：")]
            {
                if let Some(rest) = code.strip_prefix(prefix) {
                    return format!("{said}{rest}");
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
    }
}
