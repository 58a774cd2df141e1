//! The demo's narration in both languages, in one table: the step headings
//! a person watching reads. The card, the comment and the reply come from the
//! gateway itself, in the site's `language`.

use crate::text::Language;

/// One narrated line, in Japanese and English.
pub(super) struct Said {
    ja: &'static str,
    en: &'static str,
}

impl Said {
    pub(super) fn in_(&self, language: Language) -> &'static str {
        match language {
            Language::Ja => self.ja,
            Language::En => self.en,
        }
    }
}

pub(super) const STATUS_CHANGE: Said = Said {
    ja: "1. 事務の方が kintone でレコードのステータスを進めます。",
    en: "1. A clerk moves a record to the next status in kintone.",
};
pub(super) const TAP: Said = Said {
    ja: "2. 太郎さんが LINE でボタンを押します。",
    en: "2. Taro taps the button in LINE.",
};
pub(super) const REDELIVERY: Said = Said {
    ja: "3. LINE が同じイベントをもう一度送ります（同じ webhookEventId）。",
    en: "3. LINE redelivers the same event (same webhookEventId).",
};
pub(super) const FORGERY: Said = Said {
    ja: "4. チャネルシークレットを知らない誰かが Webhook を偽造します。",
    en: "4. Someone forges a webhook without the channel secret.",
};
pub(super) const BURST: Said = Said {
    ja: "5. 一斉更新：多数のレコードが 1 秒のうちに進みます（すべて太郎さん宛て）。",
    en: "5. A burst: many records move within a second (all for Taro).",
};
/// The app the demo's fake kintone holds, as an office in each language
/// builds it.
pub(super) struct App {
    /// Where records start, and the status the rule watches.
    pub open: &'static str,
    pub waiting: &'static str,
    /// The record the story follows, and the burst's records.
    pub title: &'static str,
    pub job: &'static str,
}

pub(super) fn app(language: Language) -> App {
    match language {
        Language::Ja => App {
            open: "処理中",
            waiting: "承認待ち",
            title: "会議室のエアコンが動かない",
            job: "点検",
        },
        Language::En => App {
            open: "Open",
            waiting: "Needs approval",
            title: "Fix the roof",
            job: "Job",
        },
    }
}

pub(super) const AUDIT: Said = Said {
    ja: "確認の記録",
    en: "Audit log",
};
