//! What each section's problems say, in the config's `language`
//! (Japanese unless it says `en`); the framing and the words every key
//! shares are in [`super::words`]. Keys and values stay as written.

use crate::text::said::said;

said! {
    SITE_KEY {
        ja: "a-z、0-9、- だけで 32 文字以内にしてください",
        en: "use at most 32 of a-z, 0-9 and -",
    }
    // sections
    SPACE_ID {
        ja: "正の数のスペース ID を書いてください",
        en: "must be a positive space id",
    }
    NOT_KINTONE {
        ja: "{value} は kintone のサイトではありません：https://<サブドメイン>.cybozu.com（または .kintone.com、.cybozu.cn）と書いてください",
        en: "{value} is not a kintone site: write https://<subdomain>.cybozu.com (or .kintone.com, .cybozu.cn)",
    }
    SITE_ADDRESS_ONLY {
        ja: "{value} にはサイトのアドレスだけを書きます：base_url = {fixed} と書いてください",
        en: "{value} must be the site's address alone; write base_url = {fixed}",
    }
    NO_APPS {
        ja: "[[kintone.apps]] を少なくとも一つ書いてください",
        en: "configure at least one [[kintone.apps]]",
    }
    APP_TWICE {
        ja: "アプリ {app} が二回書かれています",
        en: "app {app} is configured twice",
    }
    OVER_BUDGET {
        ja: "{s} 秒ごとの確認は 1 日 {per_day} 回で、kintone の 1 日 {limit} 回の {share}% になります。poll_interval を長くする（{min} 秒以上）か、allow_over_budget = true を書いてください",
        en: "polling every {s}s is {per_day} requests/day, {share}% of kintone's {limit}; raise poll_interval (at least {min}s) or set allow_over_budget = true",
    }
    WEBHOOK_TOKEN {
        ja: "A-Z a-z 0-9 - _ だけで 24 文字以上にしてください（Webhook の URL を守るただ一つの鍵です）",
        en: "must be at least 24 characters of A-Z a-z 0-9 - _ (it is the only lock on the webhook URL)",
    }
    REPLY_DEADLINE {
        ja: "1 秒から 60 秒までにしてください（LINE の説明では 1 分です）",
        en: "must be between 1s and 60s (LINE documents 1 minute)",
    }
    CHANNEL_ID {
        ja: "数字のチャネル ID を書いてください",
        en: "must be the numeric channel ID",
    }
    TOKEN_BOTH {
        ja: "access_token（長期のトークン）か channel_id（ステートレスなトークン）のどちらか一つだけを書いてください",
        en: "set access_token (long-lived) or channel_id (stateless tokens), not both",
    }
    TOKEN_MISSING {
        ja: "書かれていません：access_token か、ステートレスなトークンなら channel_id を書いてください",
        en: "missing: set access_token, or channel_id for stateless tokens",
    }
    FIELDS_NEEDED {
        ja: "method = \"fields\" には fields = { CODE = \"template\" }を書いてください（CODE はフィールドコード、template は書き込む内容）",
        en: "method = \"fields\" needs fields = { CODE = \"template\" }",
    }
    TEMPLATE_STRING {
        ja: "テンプレートを文字列で書いてください",
        en: "expected a string template",
    }
    ONE_FIELD {
        ja: "フィールドを少なくとも一つ書いてください",
        en: "name at least one field",
    }
    FIELD_VALUES_HERE {
        ja: "ここではフィールドの値は使えません",
        en: "field values cannot be used here",
    }
    UNKNOWN_PLACEHOLDER {
        ja: "知らない差し込み項目です",
        en: "unknown placeholder",
    }
    TEMPLATE_NAMES {
        ja: "{why}：{placeholder}。使えるのは {allowed} です",
        en: "{why}: {placeholder}; use one of {allowed}",
    }
    WHOLE_ABOVE_ZERO {
        ja: "1 以上の整数を書いてください",
        en: "must be a whole number above 0",
    }
    NO_FILE {
        ja: "{path} がありません",
        en: "{path} does not exist",
    }
    TLS_PAIR {
        ja: "tls_cert と tls_key は両方書くか、両方書かないかにしてください",
        en: "set both tls_cert and tls_key, or neither",
    }
    DEDUP_MIN {
        ja: "\"1d\" 以上にしてください：LINE は何時間もあとにイベントを送り直すことがあります",
        en: "must be at least \"1d\": LINE may redeliver events for hours",
    }
    HISTORY_MIN {
        ja: "\"62d\" 以上にしてください：月ごとの費用の報告には今月と先月の分が要ります",
        en: "must be at least \"62d\": the monthly cost report needs this month and last",
    }
    EVENTS_DEDUP {
        ja: "retention.line_dedup より長くはできません（本文が重複チェックのキーより長く残ってしまいます）",
        en: "must not be longer than retention.line_dedup (a body outlives its key)",
    }
    NOT_SPAN {
        ja: "{value} は期間として読めません。\"365d\"、\"36h\" のように書いてください",
        en: "{value} is not a span; write e.g. \"365d\", \"36h\"",
    }
    FRACTION {
        ja: "0 から 1 までの小数を書いてください",
        en: "must be a fraction between 0 and 1",
    }
    AT_LEAST_DEBOUNCE {
        ja: "notify.debounce 以上にしてください",
        en: "must be at least notify.debounce",
    }
    ZERO_OR_MORE {
        ja: "0 以上にしてください",
        en: "must be 0 or more",
    }
    FALLBACK_FIELD {
        ja: "フォールバックにはレコードのフィールドは使えません",
        en: "a fallback cannot be a record field",
    }
    AT_LEAST_1D {
        ja: "\"1d\" 以上にしてください",
        en: "must be at least \"1d\"",
    }
    AT_LEAST_1S {
        ja: "\"1s\" 以上にしてください",
        en: "must be at least \"1s\"",
    }
    // [[rules]]
    STAR_AND_VALUES {
        ja: "\"*\" はすべてに当てはまります。値を並べるか \"*\" だけにするかのどちらかにしてください",
        en: "\"*\" already matches everything; list values or \"*\", not both",
    }
    URGENT_AT_NIGHT {
        ja: "urgent のルールはいつでも送ります。at_night を消してください",
        en: "an urgent rule always sends; remove at_night",
    }
    APP_NOT_CONFIGURED {
        ja: "アプリ {app} は [[kintone.apps]] にありません",
        en: "app {app} is not in [[kintone.apps]]",
    }
    NO_RECIPIENTS {
        ja: "送り先を少なくとも一つ書いてください（スタッフの名前、kintone:ユーザー、field:フィールドコード、group:グループ名、または LINE の ID）",
        en: "name at least one recipient (a staff name, kintone:USER, field:CODE, group:NAME, or a LINE id)",
    }
    CANNOT_READ_FILE {
        ja: "{path} を読めません：{e}",
        en: "cannot read {path}: {e}",
    }
    REMIND_MAX {
        ja: "0 から 20 までにしてください",
        en: "must be between 0 and 20",
    }
    REMIND_TOO {
        ja: "remind（例：\"15m\"）も書いてください",
        en: "set remind (e.g. \"15m\") as well",
    }
    AFTER_MISSING {
        ja: "書かれていません（必ず書くキーです）。例：\"30m\"",
        en: "missing (required), e.g. \"30m\"",
    }
    AFTER_LATER {
        ja: "一つ前のエスカレーションより後にしてください",
        en: "must be later than the escalation before it",
    }
    ESCALATE_NOBODY {
        ja: "エスカレーションの送り先を少なくとも一つ書いてください",
        en: "name at least one recipient to escalate to",
    }
    ESCALATE_FIELD {
        ja: "エスカレーションの送り先はスタッフ、kintone:ユーザー、group:グループ名、または LINE の ID にしてください（field: は最初のカードのときにしか読みません）",
        en: "escalate to staff, kintone:USER, group:NAME or a LINE id (field: is read only for the first card)",
    }
    // recipients
    EMPTY {
        ja: "{value}：{what}が空です",
        en: "{value}: {what} is empty",
    }
    WHAT_KINTONE_USER { ja: "kintone のユーザー", en: "kintone user" }
    WHAT_FIELD_CODE { ja: "フィールドコード", en: "field code" }
    WHAT_GROUP_NAME { ja: "グループ名", en: "group name" }
    WHAT_NAME { ja: "名前", en: "name" }
    ROOM {
        ja: "{value} はトークルームです：トークルームにはプッシュできません。代わりに公式アカウントをグループに招待してください",
        en: "{value} is a room: rooms cannot be pushed to; invite the bot into a group instead",
    }
    NOT_LINE_ID {
        ja: "{value} は LINE の ID ではありません：U（ユーザー）か C（グループ）のあとに小文字の 16 進数 32 桁です（ここでは {n} 桁）",
        en: "{value} is not a LINE id: U (a user) or C (a group) and 32 lowercase hex digits, {n} here",
    }
    ACK_BY {
        ja: "{value} は使えません。\"recipients\"（送った相手）、\"staff\"（登録済みのスタッフ全員）、\"anyone\"（だれでも）のどれかを書いてください",
        en: "{value}: use \"recipients\" (the people it was sent to), \"staff\" (any linked staff) or \"anyone\"",
    }
    // [notify_api]
    USED_TWICE { ja: "{value} が二回使われています", en: "{value} is used twice" }
    SAME_SECRET {
        ja: "ほかのトークンと同じ秘密の値です",
        en: "the same secret as another token",
    }
    TOKEN_LENGTH {
        ja: "{n} 文字以上にしてください（例：`openssl rand -hex 24`）",
        en: "at least {n} characters (e.g. `openssl rand -hex 24`)",
    }
    PER_HOUR {
        ja: "1 以上のメッセージ数を書いてください",
        en: "must be a positive number of messages",
    }
    TO_MISSING {
        ja: "書かれていません（必ず書くキーです）：スタッフの名前、kintone:ユーザー、group:グループ名、または LINE の ID",
        en: "missing (required): staff names, kintone:USER, group:NAME or LINE ids",
    }
    ONE_RECIPIENT {
        ja: "送り先を少なくとも一つ書いてください",
        en: "name at least one recipient",
    }
    API_FIELD {
        ja: "field: の送り先にはレコードが要りますが、API のメッセージにはレコードがありません",
        en: "field: recipients need a record; an API message has none",
    }
    // [ui]
    NOT_A_HASH {
        ja: "このファイルにはパスワードのハッシュが入っていません。`kintone-line-gateway ui-password FILE` で書いてください",
        en: "the file does not hold a password hash; write it with `kintone-line-gateway ui-password FILE`",
    }
    PASSWORD_NEEDED {
        ja: "この機械の外から開けるページ（{listen}）には必ず要ります：`kintone-line-gateway ui-password FILE` で作り、password = { file = \"FILE\" } と書いてください",
        en: "required when the page listens beyond this machine ({listen}): write one with `kintone-line-gateway ui-password FILE` and set password = { file = \"FILE\" }",
    }
    ATTEMPTS {
        ja: "1 以上の回数を書いてください",
        en: "must be a positive number of attempts",
    }
    // [ingress]
    NO_PUBSUB {
        ja: "このビルドには Pub/Sub の機能（`pubsub` フィーチャー）がありません",
        en: "this build has no Pub/Sub support (the `pubsub` feature)",
    }
    PUBSUB_SECTION {
        ja: "mode に \"pubsub\" があります：[ingress.pubsub] を書いてください",
        en: "mode includes \"pubsub\": add [ingress.pubsub]",
    }
    MODES {
        ja: "\"http\"、\"pubsub\"、または [\"http\", \"pubsub\"] を書いてください",
        en: "expected \"http\", \"pubsub\" or [\"http\", \"pubsub\"]",
    }
    PUBSUB_ID {
        ja: "英字で始め、英字、数字、- _ . ~ + % だけで書いてください",
        en: "a letter, then letters, digits and - _ . ~ + %",
    }
    HTTP_URL {
        ja: "http:// か https:// の URL を書いてください",
        en: "expected an http:// or https:// URL",
    }
    MAX_MESSAGES { ja: "1 から 1000 までにしてください", en: "expected 1 to 1000" }
    ACK_DEADLINE {
        ja: "10s から 600s までの秒単位にしてください（Pub/Sub の上限です）",
        en: "expected whole seconds from 10s to 600s (Pub/Sub's limits)",
    }
    // quiet hours
    NOT_TIME {
        ja: "{value} は \"22:00\" のような時刻として読めません",
        en: "{value} is not a time like \"22:00\"",
    }
    FROM_TO_SAME {
        ja: "from と to は違う時刻にしてください",
        en: "from and to must differ",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_languages_take_the_same_parameters_and_each_is_its_language() {
        crate::text::said::check_table(super::ALL);
    }
}
