//! The demo's narration in both languages, in one table: every line a person
//! watching reads. The card, the comment and the reply come from the gateway
//! itself, in the site's `language`; the gateway's own log lines are not
//! narration. Parameters are `{name}` placeholders, filled by
//! [`crate::text::said::Said::fill`].

use crate::text::said::said;
use crate::text::Language;

said! {
    // Start-up.
    PANEL {
        ja: "▶ 事務所のパネル（ここでは画面に表示。実機では LED とブザー）：起動時の自己診断",
        en: "▶ office panel (drawn here; on a board an LED and a buzzer): start-up self-test",
    }
    SIM_LINE {
        ja: "▶ 模擬 LINE プラットフォーム：{url}",
        en: "▶ simulated LINE platform at {url}",
    }
    SIM_KINTONE {
        ja: "▶ 模擬 kintone：{url} — アプリ 1「{app}」（プロセス管理あり）",
        en: "▶ simulated kintone at {url} — app 1 \"{app}\", process management",
    }
    GATEWAY_AT {
        ja: "▶ ゲートウェイ：http://{addr}（状態の保存先：{dir}）",
        en: "▶ gateway at http://{addr} (state in {dir})",
    }
    PAGE_AT {
        ja: "▶ 事務所向けのページ：{url}（ブラウザーで開くと、待ちの通知・接続の状態・費用が見られます）",
        en: "▶ the office's web page at {url} (open it in a browser: what waits, health, cost)",
    }
    BASELINE {
        ja: "▶ 初回の読み込み：既存のレコード {n} 件を確認しました（これらは通知しません）",
        en: "▶ baseline: {n} existing records seen, none notified",
    }
    DONE {
        ja: "{s} 秒で完了しました。",
        en: "Done in {s} s.",
    }

    // 1: a status change becomes a push.
    STATUS_CHANGE {
        ja: "1. 事務の方が kintone でレコードのステータスを進めます。",
        en: "1. A clerk moves a record to the next status in kintone.",
    }
    RECORD_MOVES {
        ja: "   #{record}「{from}」→「{to}」",
        en: "   #{record} “{from}” → “{to}”",
    }
    PUSHED {
        ja: "   kintone → Webhook → ゲートウェイ（レコードを読み直し、前回見たステータスと比べる）→ {ms} ms で LINE Push：",
        en: "   kintone → webhook → gateway (re-reads the record, compares with the last status it saw) → LINE Push after {ms} ms:",
    }
    PUSH_TO {
        ja: "宛先 {to}",
        en: "to {to}",
    }
    PUSH_TO_SEVERAL {
        ja: "（複数）",
        en: "(several)",
    }
    ALT_TEXT {
        ja: "通知に出る文：{alt}",
        en: "notification text: {alt}",
    }
    COST {
        ja: "   費用：月間メッセージ数に {n} 通を計上",
        en: "   cost: {n} message counted against the monthly quota",
    }

    // 2: the tap, the write-back and the reply.
    TAP {
        ja: "2. 太郎さんが LINE でボタンを押します。",
        en: "2. Taro taps the button in LINE.",
    }
    WEBHOOK_ANSWERED {
        ja: "   LINE → ゲートウェイ：署名付き Webhook に {ms} ms で {status} を返答（署名を検証し、まず確実に保存）",
        en: "   LINE → gateway: signed webhook answered {status} in {ms} ms (verified, stored durably first)",
    }
    COMMENTED {
        ja: "   {ms} ms でゲートウェイ → kintone — #{record} へのコメント：",
        en: "   gateway → kintone after {ms} ms — comment on #{record}:",
    }
    REPLIED {
        ja: "   {ms} ms でゲートウェイ → LINE Reply（無料・一度だけ使えるトークン）：💬 {text}",
        en: "   gateway → LINE Reply (free, single-use token) after {ms} ms: 💬 {text}",
    }

    // 3: a redelivery.
    REDELIVERY {
        ja: "3. LINE が同じイベントをもう一度送ります（同じ webhookEventId）。",
        en: "3. LINE redelivers the same event (same webhookEventId).",
    }
    REDELIVERY_ANSWERED {
        ja: "   {status} を返答：{body}",
        en: "   answered {status}: {body}",
    }
    NOT_DOUBLED {
        ja: "   #{record} のコメント：{n} 件（二重にはなりません）、Reply の呼び出し：{calls} 回",
        en: "   comments on #{record}: {n} (not doubled); Reply calls: {calls}",
    }

    // 4: a forgery.
    FORGERY {
        ja: "4. チャネルシークレットを知らない誰かが Webhook を偽造します。",
        en: "4. Someone forges a webhook without the channel secret.",
    }
    REFUSED {
        ja: "   {status} を返答 — 何も保存しません",
        en: "   answered {status} — nothing stored",
    }

    // 5: a reminder and an escalation, on a skipped clock.
    REMINDER {
        ja: "5. 誰も確認しないと：15 分ごとにリマインド、30 分で花子さんへエスカレーション（時計を早送りします）。",
        en: "5. Nobody acknowledges: a reminder every 15 minutes, an escalation to Hanako at 30 (the clock is fast-forwarded).",
    }
    CLOCK_SKIPPED {
        ja: "   ⏩ {min} 分後：",
        en: "   ⏩ {min} minutes later:",
    }

    // 6: a burst.
    BURST {
        ja: "6. 一斉更新：{n} 件のレコードが 1 秒のうちに進みます（すべて太郎さん宛て）。",
        en: "6. A burst: {n} records move within a second (all for Taro).",
    }
    PUSH_REQUEST {
        ja: "   Push リクエスト {i}：カード {cards} 枚（メッセージオブジェクト {objects} 個）、{counted} 通を計上",
        en: "   push request {i}: {cards} card(s) in {objects} message object(s), {counted} message counted",
    }
    BURST_TOTAL {
        ja: "   {burst} 件の変更 → Push リクエスト {requests} 回、{counted} 通を計上（まとめなければ {burst} 通）— {s} 秒",
        en: "   {burst} changes → {requests} push request(s), {counted} message(s) counted (without batching: {burst}) — in {s} s",
    }

    // 7: a LINE Notify caller.
    NOTIFY_API {
        ja: "7. LINE Notify を使っていた監視スクリプトが、宛先のホストだけ変えて呼び出します：",
        en: "7. A monitoring script that used LINE Notify calls the gateway, with only the host changed:",
    }
    NOTIFY_API_ANSWERED {
        ja: "   {status} を返答：{body}（LINE Notify と同じ形）",
        en: "   answered {status}: {body} (LINE Notify's shape)",
    }
    NOTIFY_API_PUSHED {
        ja: "   ゲートウェイ → LINE Push（通数に計上）：💬 {text}",
        en: "   gateway → LINE push (counted against the quota): 💬 {text}",
    }
    NOTIFY_API_MESSAGE {
        ja: "サーバー室の温度が 30℃ を超えました",
        en: "The server room is above 30 °C",
    }

    // The audit log.
    AUDIT {
        ja: "確認の記録：{n} 件",
        en: "Audit log: {n}",
    }
    AUDIT_ROW {
        ja: "   #{record}（{actor}）— {outcome} / {reply}",
        en: "   #{record} by {actor} — {outcome} / {reply}",
    }

    // `--interactive`. The command words stay English in both languages.
    HELP {
        ja: "対話モードです。コマンド：\n  \
             status <レコード> <ステータス>   kintone でレコードのステータスを変えます（例：status 401 {example}）\n  \
             cards                            太郎さんが受け取ったカードの一覧\n  \
             tap <n>                          太郎さんがカード n の確認ボタンを押します\n  \
             comments <レコード>              レコードのコメントを表示します\n  \
             press                            パネルのボタンを短く押します（ブザーが止まります）\n  \
             hold                             長押し：未確認のものをすべて「事務所のパネル」として確認します\n  \
             quit                             終了します",
        en: "Interactive mode. Commands:\n  \
             status <record> <status>   change a record's status in kintone (e.g. status 401 {example})\n  \
             cards                      list the cards Taro has received\n  \
             tap <n>                    Taro taps Acknowledge on card n\n  \
             comments <record>          show a record's comments\n  \
             press                      short press of the panel button (silences the buzzer)\n  \
             hold                       long press: acknowledges everything pending as \"office panel\"\n  \
             quit",
    }
    UNKNOWN_COMMAND {
        ja: "そのコマンドはありません",
        en: "unknown command",
    }
    STATUS_SET {
        ja: "レコード #{id} は「{status}」になりました（リビジョン {rev}）",
        en: "record #{id} is now “{status}” (revision {rev})",
    }
    NO_RECORD {
        ja: "レコード #{id} はありません",
        en: "no record #{id}",
    }
    NO_CARD {
        ja: "カード {n} はありません。`cards` で一覧を表示できます",
        en: "no card {n}; try `cards`",
    }
    TAP_ANSWERED {
        ja: "LINE → ゲートウェイ：{status}",
        en: "LINE → gateway: {status}",
    }
    RELEASED {
        ja: "{ms} ms 押して、ボタンを離しました",
        en: "button released after {ms} ms",
    }
}

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

#[cfg(test)]
mod tests {
    #[test]
    fn both_languages_take_the_same_parameters_and_each_is_its_language() {
        crate::text::said::check_table(super::ALL);
    }
}
