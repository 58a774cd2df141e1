//! What `doctor` (and `check-config`'s judgement of the recipients) says,
//! in the config's `language` (Japanese unless it says `en`): each check's
//! name, what was found, and what to do. Paths, hosts, keys, commands and
//! names stay as written.

use crate::text::said::said;

said! {
    // a check's line
    MARK_OK { ja: "[正常]", en: "[ok  ]" }
    MARK_FAIL { ja: "[問題]", en: "[FAIL]" }
    CHECK_LINE { ja: "{mark} {name}：{detail}", en: "{mark} {name}: {detail}" }
    // names of the checks
    NAME_CONFIG { ja: "設定", en: "config" }
    NAME_STATE_DIR { ja: "保存先フォルダー", en: "state directory" }
    NAME_STORE { ja: "ストア", en: "store" }
    NAME_WEBHOOK { ja: "LINE の Webhook", en: "LINE webhook" }
    NAME_APP { ja: "kintone アプリ {app}「{name}」", en: "kintone app {app} \"{name}\"" }
    NAME_RECIPIENTS { ja: "送り先", en: "recipients" }
    NAME_CLOCK { ja: "時計", en: "clock" }
    // config
    CONFIG_LOADED {
        ja: "アプリ {apps} 件、ルール {rules} 件。秘密の値はすべて持ち主だけが読めるファイルから読みました",
        en: "{apps} app(s), {rules} rule(s); every secret loaded from an owner-only file",
    }
    // the board
    STATE_DIR_OK { ja: "{dir}：書き込めます", en: "{dir}: writable" }
    STATE_DIR_FAIL {
        ja: "{dir}：{e} — サービスのユーザーが書き込めるようにしてください（systemd の StateDirectory= が作ります。持ち主と権限を確かめてください）",
        en: "{dir}: {e} — it must be writable by the service's user (systemd's StateDirectory= creates it; check owner and mode)",
    }
    GPIO_UNUSED {
        ja: "使っていません（ランプの方式は {backend}）",
        en: "not used (indicator backend {backend})",
    }
    GPIO_FOUND { ja: "見つかりました：{lines}", en: "found {lines}" }
    GPIO_FAIL {
        ja: "{list} — この基板のライン名は `gpioinfo` で一覧できます。サービスのユーザーには gpio グループ（/dev/gpiochip*）が要ります",
        en: "{list} — `gpioinfo` lists this board's line names; the service's user needs the gpio group (/dev/gpiochip*)",
    }
    CLOCK_NO_DATE {
        ja: "LINE も kintone も Date ヘッダーを返さなかったので、時計を比べられませんでした",
        en: "neither LINE nor kintone answered with a Date header, so the clock could not be compared",
    }
    CLOCK_SKEW {
        ja: "{who} の時計と {skew} 秒ずれています（Date ヘッダーは秒単位です）",
        en: "{skew} s from {who}'s (Date headers are whole seconds)",
    }
    CLOCK_FIX {
        ja: "{described} — 時計を合わせてください（systemd-timesyncd か chrony。状態は `timedatectl` で見られます）。返信の期限は LINE のイベントの時刻から数えます",
        en: "{described} — keep it in sync (systemd-timesyncd or chrony; `timedatectl` shows the state): reply deadlines count from LINE's event timestamps",
    }
    // the outside services
    NO_CLIENT { ja: "接続の準備ができません：{e}", en: "cannot build the client: {e}" }
    LINE_OK {
        ja: "{base} がトークンを受け付けました — ボット {bot}（{id}）",
        en: "token accepted by {base} — bot {bot} ({id})",
    }
    CANNOT_CONNECT_LINE {
        ja: "{host} に接続できません：{message} — ネットワークかプロキシを確かめてください（この基板から {base} に届く必要があります）",
        en: "cannot connect to {host}: {message} — check the network or proxy (this board must reach {base})",
    }
    LINE_BUSY {
        ja: "{host} が HTTP {status} を返しました：LINE が混んでいるか止まっています — 数分後にもう一度試してください",
        en: "{host} answered HTTP {status}: LINE is busy or down — try again in a few minutes",
    }
    LINE_REFUSED_TOKEN {
        ja: "{host} がチャネルアクセストークンを受け付けません — LINE Developers コンソールでトークン（またはチャネル ID とシークレット）を確かめてください",
        en: "{host} refused the channel access token — check it (or the channel ID and secret) in the LINE Developers console",
    }
    LINE_OTHER {
        ja: "{host} の GET /v2/bot/info：{e}",
        en: "GET /v2/bot/info at {host}: {e}",
    }
    WEBHOOK_UNREADABLE {
        ja: "Webhook URL を読めません：{e}",
        en: "cannot read the webhook URL: {e}",
    }
    WEBHOOK_UNSET {
        ja: "Webhook URL が設定されていません — LINE Developers コンソール → Messaging API → Webhook URL：https://<トンネル>/line/webhook（または中継の URL）",
        en: "no webhook URL is set — LINE Developers console → Messaging API → Webhook URL: https://<your tunnel>/line/webhook (or the relay's URL)",
    }
    WEBHOOK_OFF {
        ja: "{url}（{route}）は設定されていますが「Webhook の利用」がオフです — コンソールでオンにしてください（Messaging API → Webhook 設定）",
        en: "{url} ({route}) is set but \"Use webhook\" is off — turn it on in the console (Messaging API → Webhook settings)",
    }
    WEBHOOK_TEST_FAILED {
        ja: "LINE が Webhook のテストをできませんでした：{e}",
        en: "LINE could not run its webhook test: {e}",
    }
    WEBHOOK_OK {
        ja: "LINE が {url}（{route}）にテストの Webhook を送り、HTTP {status} が返りました：LINE から基板まで届いています",
        en: "LINE sent a test webhook to {url} ({route}) and got HTTP {status}: LINE → board works",
    }
    WEBHOOK_FAIL {
        ja: "LINE が {url}（{route}）にテストの Webhook を送りました：{answer}（{detail}）— {fix}",
        en: "LINE sent a test webhook to {url} ({route}): {answer} ({detail}) — {fix}",
    }
    ANSWER_HTTP { ja: "HTTP {status} が返りました", en: "HTTP {status}" }
    ANSWER_NONE { ja: "応答なし、{reason}", en: "no answer, {reason}" }
    FIX_UNREACHABLE {
        ja: "LINE がその URL に届きません — トンネル（または中継）は動いていますか？サービスは動いていますか？",
        en: "LINE cannot reach that URL — is the tunnel (or the relay) up, and the service running?",
    }
    FIX_SIGNATURE {
        ja: "署名が受け付けられませんでした — 基板の line.channel_secret はこのチャネルのものである必要があります（中継のパスとトークンも合わせてください）",
        en: "the signature was refused — line.channel_secret on the board must be this channel's (and the relay's path and token must match)",
    }
    FIX_PATH {
        ja: "そのパスには何もありません — 基板のパスは /line/webhook です",
        en: "nothing answers at that path — the board's path is /line/webhook",
    }
    FIX_SERVER {
        ja: "中継か基板でエラーになりました — `journalctl -u kintone-line-gateway` と中継のログを見てください",
        en: "the relay or the board failed — see `journalctl -u kintone-line-gateway` and the relay's logs",
    }
    FIX_JOURNAL {
        ja: "基板で `journalctl -u kintone-line-gateway` を見てください",
        en: "see `journalctl -u kintone-line-gateway` on the board",
    }
    ROUTE_STRAIGHT { ja: "基板へ直接", en: "straight to the board" }
    ROUTE_RELAY { ja: "中継経由", en: "through the relay" }
    CANNOT_CONNECT_KINTONE {
        ja: "{host} に接続できません：{message} — ネットワークかプロキシ、それに kintone.base_url を確かめてください",
        en: "cannot connect to {host}: {message} — check the network or proxy, and kintone.base_url",
    }
    KINTONE_BUSY {
        ja: "{host} が HTTP {status} を返しました：kintone が混んでいるか止まっています — 数分後にもう一度試してください",
        en: "{host} answered HTTP {status}: kintone is busy or down — try again in a few minutes",
    }
    KINTONE_REFUSED_TOKEN {
        ja: "{host} がアプリの API トークンを受け付けません — kintone：アプリの設定 → API トークン（レコード閲覧と、書き戻しのためにレコード編集かコメント書き込みの権限が要ります）",
        en: "{host} refused the app's API token — kintone: app settings → API token (it needs View records, plus Edit records or Add comments for the write-back)",
    }
    KINTONE_OTHER {
        ja: "{e} — アプリ ID と kintone.base_url {base} を確かめてください",
        en: "{e} — check the app id and kintone.base_url {base}",
    }
    FIELDS_OK {
        ja: "トークンを受け付けました。フォームのフィールド {n} 個、設定にあるフィールドはすべてあります",
        en: "token accepted; {n} form fields, every field the config names is there",
    }
    FIELDS_MISSING {
        ja: "トークンは受け付けましたが、フォームにフィールド {missing}がありません — フィールドコードは大文字と小文字を区別します（kintone：アプリの設定 → フォーム → フィールドの設定 → フィールドコード）",
        en: "token accepted, but the form has no field {missing} — field codes are case-sensitive (kintone: app settings → form → field settings → field code)",
    }
    FIELD_FROM { ja: "{code}（{why}）", en: "{code} ({why})" }
    FROM_RULE { ja: "ルール「{rule}」の {what}", en: "rule \"{rule}\" {what}" }
    // Pub/Sub
    #[cfg_attr(not(feature = "pubsub"), allow(dead_code))]
    PUBSUB_FOUND {
        ja: "{subscription}（トピック {topic}、{filter}、確認の期限 {deadline} 秒）：待っているメッセージ {waiting} 件{more}",
        en: "{subscription} on {topic} ({filter}, ack deadline {deadline} s): {waiting}{more} message(s) waiting",
    }
    #[cfg_attr(not(feature = "pubsub"), allow(dead_code))]
    NO_FILTER { ja: "フィルターなし", en: "no filter" }
    #[cfg_attr(not(feature = "pubsub"), allow(dead_code))]
    FILTER { ja: "フィルター {filter}", en: "filter {filter}" }
    #[cfg_attr(not(feature = "pubsub"), allow(dead_code))]
    OR_MORE { ja: "以上", en: " or more" }
    // the store
    STORE_NONE_YET {
        ja: "{db} にはまだストアがありません：サービスが初めて起動するときに作ります",
        en: "no store yet at {db}: the service creates it when it first starts",
    }
    STORE_GONE {
        ja: "{dir} にはストアを作ったのに gateway.db がありません — バックアップから戻すか、空から始めるなら `run --new-store` で起動してください",
        en: "gateway.db is gone from {dir} although a store was made there — restore it from a backup, or start with `run --new-store` to begin empty on purpose",
    }
    STORE_DAMAGED {
        ja: "gateway.db が壊れています（{found}）— サービスを止めて `kintone-line-gateway store rescue` を実行してください",
        en: "gateway.db is damaged ({found}) — stop the service and run `kintone-line-gateway store rescue`",
    }
    STORE_WHOLE {
        ja: "{path} はすべて読めました：送信待ち {queued} 件、デッドレター {dead} 件、確認待ち {acks} 件{dead_hint}{layout_hint}",
        en: "{path} reads back whole: {queued} push(es) queued, {dead} dead letter(s), {acks} pending ack(s){dead_hint}{layout_hint}",
    }
    STORE_DEAD_HINT {
        ja: " — デッドレターは `outbox` で一覧でき、`outbox retry` でもう一度送れます",
        en: " — `outbox` lists the dead letters, `outbox retry` sends them again",
    }
    STORE_OLD_LAYOUT_HINT {
        ja: " — 前の版が作ったストアです（ページ {page} バイト）。サービスを止めて `kintone-line-gateway store compact` を実行すると、SD カードへの書き込みが減ります",
        en: " — an older gateway made this store ({page}-byte pages): `kintone-line-gateway store compact`, with the service stopped, makes it write less to the SD card",
    }
    STORE_MAYBE_DAMAGED {
        ja: "{e} — ストアが壊れているかもしれません：サービスを止めて `kintone-line-gateway store rescue` を実行してください",
        en: "{e} — the store may be damaged: stop the service and run `kintone-line-gateway store rescue`",
    }
    STORE_UNREADABLE {
        ja: "{e} — doctor はサービスのユーザーで実行してください（docs/INSTALL.md）。保存先フォルダーの持ち主も確かめてください",
        en: "{e} — run doctor as the service's user (docs/INSTALL.md), and check the owner of the state directory",
    }
    // recipients
    NO_DIRECTORY {
        ja: "スタッフの名簿がまだありません：サービスが動いてスタッフが登録されるまで、名前とグループには誰にも届きません",
        en: "no staff directory yet: names and groups reach nobody until the daemon has run and staff are linked",
    }
    DIRECTORY_UNREADABLE {
        ja: "スタッフの名簿を読めません：名前とグループは確かめていません",
        en: "the staff directory cannot be read: names and groups not checked",
    }
    WITH_NOTE { ja: "{detail}（{note}）", en: "{detail} ({note})" }
    RULES_COUNT { ja: "ルール {n} 件", en: "{n} rule(s)" }
    RULE_REACHES { ja: "ルール「{rule}」の送り先：{now}", en: "rule \"{rule}\" reaches {now}" }
    NOBODY { ja: "誰もいません", en: "NOBODY" }
    REACHES_FIELD {
        ja: "各レコードのフィールド「{field}」にいる登録済みの人",
        en: "the linked people in field \"{field}\" of each record",
    }
    REACHES_USER { ja: "LINE ユーザー {id}", en: "LINE user {id}" }
    REACHES_GROUP_ID { ja: "LINE グループ {id}", en: "LINE group {id}" }
    REACHES_LINKED { ja: "{name}（登録済み）", en: "{name} (linked)" }
    REACHES_KINTONE_LINKED {
        ja: "{name}（kintone:{code}、登録済み）",
        en: "{name} (kintone:{code}, linked)",
    }
    REACHES_GROUP { ja: "グループ {name}（{id}）", en: "group {name} ({id})" }
    INVITED_NOT_LINKED {
        ja: "{who} は招待済みですがまだ登録されていません：LINE でコードを送るまで誰にも届きません",
        en: "{who} is invited but not linked yet: reaches nobody until they send their code in LINE",
    }
    NO_STAFF_NEAR {
        ja: "「{name}」というスタッフはいません。{near} のまちがいではありませんか？",
        en: "no staff member is called \"{name}\"; did you mean {near}?",
    }
    NO_STAFF_YET {
        ja: "「{name}」というスタッフはまだいません：`kintone-line-gateway staff invite \"{name}\"` で招待してください（公式アカウントを友だち追加してコードを送ってもらいます）",
        en: "no staff member is called \"{name}\" yet: link them with `kintone-line-gateway staff invite \"{name}\"` (they friend the bot and send the code)",
    }
    NO_KINTONE_USER_NEAR {
        ja: "kintone ユーザー「{code}」のスタッフはいません。kintone:{near} のまちがいではありませんか？",
        en: "no staff member has kintone user \"{code}\"; did you mean kintone:{near}?",
    }
    NO_KINTONE_USER_YET {
        ja: "kintone ユーザー「{code}」のスタッフはまだいません：`kintone-line-gateway staff invite 名前 --kintone-user {code}` で招待してください",
        en: "no staff member has kintone user \"{code}\" yet: link them with `kintone-line-gateway staff invite NAME --kintone-user {code}`",
    }
    GROUP_LEFT {
        ja: "公式アカウントはグループ「{name}」を抜けています：LINE グループにもう一度招待してください",
        en: "the bot has left group \"{name}\": invite it back into the LINE group",
    }
    NO_GROUP_NEAR {
        ja: "「{name}」というグループはありません。group:{near} のまちがいではありませんか？",
        en: "no group is called \"{name}\"; did you mean group:{near}?",
    }
    NO_GROUP_YET {
        ja: "「{name}」というグループはまだ記録されていません：公式アカウントを LINE グループに招待してください（参加したときに名前が記録されます）",
        en: "no group called \"{name}\" is recorded yet: invite the bot into the LINE group (its name is recorded when it joins)",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_languages_take_the_same_parameters_and_each_is_its_language() {
        crate::text::said::check_table(super::ALL);
    }
}
