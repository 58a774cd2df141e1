//! What the commands answer a person, in the config's `language` (Japanese
//! unless it says `en`): `check-config`, `doctor`'s heading and verdict,
//! `staff`, `send`, `outbox retry`, `backup` and `store rescue`. Parameters are `{name}` placeholders.

use crate::text::said::said;

said! {
    // ui-password
    UI_PASSWORD_PROMPT {
        ja: "Web ページのパスワード（{min} 文字以上）を入力して Enter：",
        en: "The web page's password (at least {min} characters), then Enter: ",
    }
    UI_PASSWORD_SHORT {
        ja: "パスワードは {min} 文字以上にしてください。何も書き込んでいません",
        en: "the password must have at least {min} characters; nothing was written",
    }
    UI_PASSWORD_WRITTEN {
        ja: "パスワードのハッシュを {file} に書き込みました。設定ファイルに次のように書き、サービスを再起動してください：\n\n[ui]\nlisten = \"0.0.0.0:8081\"\npassword = { file = \"{file}\" }",
        en: "Wrote the password's hash to {file}. In the config:\n\n[ui]\nlisten = \"0.0.0.0:8081\"\npassword = { file = \"{file}\" }\n\nthen restart the service.",
    }

    // the command line itself (before any config is read: Japanese)
    USAGE_UNKNOWN_ARGUMENT {
        ja: "{arg} というオプションはありません。",
        en: "There is no option {arg}.",
    }
    USAGE_UNEXPECTED {
        ja: "{arg} は、ここには書けません。",
        en: "{arg} does not belong here.",
    }
    USAGE_UNKNOWN_COMMAND {
        ja: "{arg} というコマンドはありません。",
        en: "There is no command {arg}.",
    }
    USAGE_BAD_VALUE {
        ja: "{arg} に {value} は使えません。",
        en: "{arg} cannot be {value}.",
    }
    USAGE_NO_VALUE {
        ja: "{arg} の値が書かれていません。",
        en: "{arg} needs a value.",
    }
    USAGE_MISSING {
        ja: "{arg} が足りません。",
        en: "{arg} is missing.",
    }
    USAGE_NO_COMMAND {
        ja: "コマンドを一つ指定してください（サービスとして動かすなら run）。",
        en: "Name one command (run, to run the service).",
    }
    USAGE_NO_SUBCOMMAND {
        ja: "{command} のあとに、下のコマンドを一つ書いてください。",
        en: "Name one of the commands below after {command}.",
    }
    USAGE_TIP_AS_VALUE {
        ja: "{arg} を値として渡すなら {how} と書いてください",
        en: "to pass {arg} as a value, write {how}",
    }
    USAGE_TIP_EXISTS {
        ja: "{line} なら使えます",
        en: "{line} exists",
    }
    USAGE_TIP {
        ja: "ヒント：{tip}",
        en: "Tip: {tip}",
    }
    USAGE_TWICE {
        ja: "{arg} は一度だけ書いてください。",
        en: "Give {arg} only once.",
    }
    USAGE_CONFLICT {
        ja: "{arg} と {other} は一緒には使えません。",
        en: "{arg} cannot be used with {other}.",
    }
    USAGE_EXTRA_VALUE {
        ja: "{arg} の値が多すぎます（{value} は要りません）。",
        en: "{arg} has too many values ({value} is one too many).",
    }
    USAGE_OTHER {
        ja: "コマンドの書き方が違います（{detail}）。",
        en: "The command is not written as it should be ({detail}).",
    }
    USAGE_DID_YOU_MEAN {
        ja: "もしかして：{names}",
        en: "Did you mean {names}?",
    }
    USAGE_VALUES {
        ja: "使える値：{values}",
        en: "It can be: {values}",
    }
    USAGE_COMMANDS {
        ja: "コマンド：{names}",
        en: "Commands: {names}",
    }
    // The same heading as `--help`'s (whose colon is clap's).
    USAGE_LINE {
        ja: "使い方（Usage）: {usage}",
        en: "Usage: {usage}",
    }
    USAGE_SINCE {
        ja: "--since {value} は読めません。期間（24h、7d）、日付（2026-11-01）、日時（2026-11-01T09:00:00+09:00）のどれかで書いてください",
        en: "--since {value}: use a span (24h, 7d), a date (2026-11-01) or a timestamp",
    }
    USAGE_SINCE_DATE {
        ja: "--since {value} をこのタイムゾーンの日時にできません（{e}）",
        en: "--since {value}: {e}",
    }
    USAGE_RETRY_WHICH {
        ja: "送り直すリクエストの番号か、--all を指定してください",
        en: "give a request number or --all",
    }
    USAGE_VALID {
        ja: "--valid {value} は時間の長さとして読めません（{e}）。30m、24h、7d のように書いてください",
        en: "--valid {value}: {e}; write it as 30m, 24h or 7d",
    }
    USAGE_HELP {
        ja: "使い方は kintone-line-gateway --help（コマンドごとなら kintone-line-gateway <コマンド> --help）で確かめられます。",
        en: "kintone-line-gateway --help (or kintone-line-gateway <command> --help) shows how it is used.",
    }

    // a command that failed (the English lines are the errors' own, kept
    // for English; the Japanese ones say the same in plain words)
    FAILED {
        ja: "エラー：{what}",
        en: "error: {what}",
    }
    FAILED_PERMISSION {
        ja: "。サービスのユーザーで実行してください（docs/INSTALL.md）",
        en: ". Run it as the service's user (docs/INSTALL.md).",
    }
    FAILED_OTHER {
        ja: "実行できませんでした：{e}",
        en: "{e}",
    }
    // check-config
    CHECK_OK {
        ja: "{path}：問題ありません（アプリ {apps} 件、ルール {rules} 件、{listen} で待ち受け）",
        en: "{path}: OK ({apps} app(s), {rules} rule(s), listening on {listen})",
    }
    BUDGET_OFF {
        ja: "アプリ {app}（{name}）：定期的な確認（ポーリング）はしません。Webhook だけなので、届かなかった Webhook の変更は拾えません",
        en: "app {app} ({name}): polling off — webhooks only; a lost webhook is not recovered",
    }
    BUDGET_POLLING {
        ja: "アプリ {app}（{name}）：{s} 秒ごとに確認し、1 日およそ {per_day} 回（kintone の 1 日 {limit} 回の {share}%）",
        en: "app {app} ({name}): polling every {s}s ≈ {per_day} requests/day, {share}% of kintone's {limit}",
    }
    BUDGET_TOO_MUCH {
        ja: "{line}。注意：上限の 3 分の 1 を超えます。poll_interval を長くしてください",
        en: "{line} — WARNING: more than a third of the limit; raise poll_interval",
    }
    AT_KEY {
        ja: "{key}：{note}",
        en: "{key}: {note}",
    }
    CHECK_WARNING {
        ja: "  注意：{note}",
        en: "  warning: {note}",
    }
    RECIPIENTS_NO_DIRECTORY {
        ja: "送り先は確かめていません：{dir} にまだスタッフの名簿がありません（サービスが作ります）",
        en: "recipients not checked: no staff directory yet in {dir} (the daemon creates it)",
    }
    RECIPIENTS_UNCHECKED {
        ja: "送り先は確かめていません：{e}",
        en: "recipients not checked: {e}",
    }
    // doctor
    DOCTOR_HEAD {
        ja: "kintone-line-gateway の点検（doctor）— {path}",
        en: "kintone-line-gateway doctor — {path}",
    }
    DOCTOR_ALL_PASSED {
        ja: "{n} 項目の点検はすべて問題ありません。",
        en: "All {n} checks passed.",
    }
    DOCTOR_FAILED {
        ja: "{n} 項目のうち {failed} 項目で問題が見つかりました。",
        en: "{failed} of {n} checks failed.",
    }
    // staff
    NO_STAFF {
        ja: "まだ誰も登録されていません。`staff invite 名前` で招待します。",
        en: "No staff linked yet. Use `staff invite NAME`.",
    }
    STAFF_ROW {
        ja: "{name} {kintone} {line}  登録 {at}",
        en: "{name} {kintone} {line}  linked {at}",
    }
    STAFF_REMOVED {
        ja: "{n} 人の登録を解除しました。",
        en: "Removed {n} staff member(s).",
    }
    STAFF_NO_MATCH {
        ja: "「{who}」に当てはまるスタッフはいません（`staff list` で一覧できます）",
        en: "no staff member matches \"{who}\" (`staff list` lists them)",
    }
    INVITE_CODE {
        ja: "{name} さんの招待コード：{code}",
        en: "Invite code for {name}: {code}",
    }
    INVITE_UNTIL {
        ja: "{until} まで有効です。",
        en: "Valid until {until}.",
    }
    INVITE_HOW {
        ja: "LINE で公式アカウントを友だち追加し、トークでこのコードを送ってもらってください。",
        en: "They add the bot as a friend in LINE and send this code in the chat.",
    }
    // send
    SENT {
        ja: "{n} 件の宛先に、{requests} 件のプッシュとして送信待ちに入れました。動いているサービスが送ります（`outbox` で確認できます）。",
        en: "Queued for {n} recipient(s) in {requests} push request(s); the running daemon sends them (see `outbox`).",
    }
    SEND_FIELD {
        ja: "field: の送り先にはレコードが要ります",
        en: "field: recipients need a record",
    }
    TEXT_LENGTH {
        ja: "1 文字から {max} 文字までで書いてください",
        en: "give 1 to {max} characters",
    }
    SEND_NOBODY {
        ja: "送り先がいません：まだ誰も登録・記録されていません（`staff invite` でスタッフを招待するか、公式アカウントをグループに招待してください）",
        en: "nobody to send to: no recipient is linked or recorded yet (link staff with `staff invite`, invite the bot into the group)",
    }
    // outbox retry
    NOTHING_TO_RETRY {
        ja: "送れなかったプッシュ（デッドレター）はありません。やり直すものはありません。",
        en: "No dead letters: nothing to retry.",
    }
    RETRIED {
        ja: "#{id} を新しい再送キーで送信待ちに戻しました。",
        en: "#{id} back in the queue with a new retry key.",
    }
    RETRY_WHY {
        ja: "LINE がもう一度送ります。キーが新しいので重複とはみなされません（LINE は 24 時間以内に見たキーを捨てます）。誰が戻したかは監査の記録に残ります。",
        en: "LINE will send it again: a new key, so LINE does not take it for a repeat (it drops a key it has seen in the last 24 hours). The audit records who put it back.",
    }
    // backup
    BACKUP_DONE {
        ja: "ストアを {path} にコピーしました（{pages} ページ、{bytes} バイト）。整合性チェックも問題ありません。",
        en: "Copied the store ({pages} pages, {bytes} bytes) to {path}: integrity check ok.",
    }
    BACKUP_RESTORE {
        ja: "戻すには：サービスを止め、このファイルで {db} を上書きし（そこにある gateway.db-wal と gateway.db-shm は消します）、サービスを起動します。",
        en: "To restore: stop the service, copy it over {db} (and delete gateway.db-wal and gateway.db-shm there), start the service.",
    }
    // status
    STATUS_DAEMON {
        ja: "サービス（{at} の記録）：{line}",
        en: "daemon ({at}): {line}",
    }
    STATUS_NO_DAEMON {
        ja: "サービス：まだ記録がありません（一度でも動いたことがありますか？）",
        en: "daemon: no status recorded yet (has it run?)",
    }
    STATUS_STORE {
        ja: "ストア：確認待ち {acks} 件、送信待ちのプッシュ {queued} 件、デッドレター {dead} 件、届け先のない通知 {nobody} 件、処理中の LINE イベント {events} 件と kintone の変更 {changes} 件、最後のプッシュ {last}",
        en: "store: {acks} pending ack(s), {queued} push(es) queued, {dead} dead letter(s), {nobody} undeliverable notification(s), {events} LINE event(s) and {changes} kintone change(s) in progress, last push {last}",
    }
    NEVER {
        ja: "なし",
        en: "never",
    }
    CONTACT_NEVER {
        ja: "{name}：まだ一度も接続していません",
        en: "{name}: never contacted",
    }
    CONTACT_ANSWERED {
        ja: "{name}：{ago}に応答",
        en: "{name}: answered {ago}",
    }
    CONTACT_FAILING {
        ja: "{name}：つながりません。{ago}の呼び出しに応答なし（{why}）。{last}",
        en: "{name}: failing: last call {ago} got no answer ({why}); {last}",
    }
    CONTACT_LAST_ANSWERED {
        ja: "最後の応答は{ago}",
        en: "last answered {ago}",
    }
    CONTACT_NEVER_ANSWERED {
        ja: "一度も応答していません",
        en: "never answered",
    }
    NO_REASON {
        ja: "理由の記録なし",
        en: "no reason recorded",
    }
    CONTACTS_NOTHING {
        ja: "LINE、kintone：まだ記録がありません（サービスは起動して数秒のうちに見たことを保存します）",
        en: "LINE, kintone: nothing recorded yet (the service saves what it saw within seconds of starting)",
    }
    AGO_S {
        ja: "{n} 秒前",
        en: "{n}s ago",
    }
    AGO_M {
        ja: "{n} 分前",
        en: "{n}m ago",
    }
    AGO_H {
        ja: "{n} 時間前",
        en: "{n}h ago",
    }
    AGO_D {
        ja: "{n} 日前",
        en: "{n}d ago",
    }
    KINTONE_TODAY_NONE {
        ja: "今日の kintone へのリクエスト（日本時間 9 時から）：なし",
        en: "kintone requests today (since 09:00 JST): none",
    }
    KINTONE_TODAY_APP {
        ja: "今日の kintone へのリクエスト（日本時間 9 時から）、アプリ {app}：{n} 回（1 日 10,000 回の {pct}%）",
        en: "kintone requests today (since 09:00 JST), app {app}: {n} ({pct}% of the 10,000 a day)",
    }
    REMINDERS_OPEN {
        ja: "リマインド：続いているもの {n} 件",
        en: "reminders: {n} open chain(s)",
    }
    REMINDER_ROW {
        ja: "  #{record} {title} — {stage}、{min} 分経過、次は {next}",
        en: "  #{record} {title} — {stage}, {min} min old, next step {next}",
    }
    STAGE_FIRST {
        ja: "最初の通知のみ",
        en: "first",
    }
    STAGE_REMINDER {
        ja: "リマインド {n} 回目",
        en: "reminder {n}",
    }
    STAGE_ESCALATION {
        ja: "エスカレーション {n} 段目",
        en: "escalation {n}",
    }
    // outbox
    OUTBOX_EMPTY {
        ja: "送信待ちはありません：キューもデッドレターも空です。",
        en: "The outbox is empty: nothing queued, no dead letters.",
    }
    OUTBOX_ROW {
        ja: "#{id} {state} {n} 通 → {to}  試行 {attempts} 回  作成 {at}",
        en: "#{id} {state} {n} message(s) to {to}  attempts {attempts}  created {at}",
    }
    OUTBOX_NEXT {
        ja: "        次の試行 {at}",
        en: "        next attempt {at}",
    }
    OUTBOX_ERROR {
        ja: "        最後のエラー：{e}",
        en: "        last error: {e}",
    }
    OUTBOX_PUT_BACK {
        ja: "        {actor} が {at} に送信待ちへ戻しました",
        en: "        put back in the queue by {actor} {at}",
    }
    OUTBOX_DEAD {
        ja: "        デッドレター：`outbox retry {id}` でもう一度送ります",
        en: "        a dead letter: `outbox retry {id}` sends it again",
    }
    UNDELIVERABLE_ROW {
        ja: "届け先なし  ルール「{rule}」、アプリ {app} #{record}  作成 {at}",
        en: "undeliverable  rule \"{rule}\", app {app} #{record}  created {at}",
    }
    UNDELIVERABLE_FALLBACK {
        ja: "        代わりにフォールバックへ送りました：{to}",
        en: "        sent to the fallback instead: {to}",
    }
    UNDELIVERABLE_NOBODY {
        ja: "        誰にも送っていません（[notify] fallback を設定すると受け止められます）",
        en: "        sent to nobody (set [notify] fallback to catch these)",
    }
    // acks
    ACKS_SINCE {
        ja: "{since} 以降の確認：{n} 件",
        en: "{n} acknowledgement(s) since {since}",
    }
    // store compact
    COMPACTED {
        ja: "ストアを書き直しました：{before} → {after}（ページ {page_before} → {page_after} バイト）",
        en: "The store was rewritten: {before} → {after} (pages of {page_before} → {page_after} bytes)",
    }
    COMPACT_GIVES_BACK {
        ja: "これからは、古い行を消した分だけファイルも小さくなります。",
        en: "From now on, the space of pruned rows is given back to the file system too.",
    }
    COMPACT_RUNNING {
        ja: "ほかのプログラムがストアを開いています。サービスを止めてから（sudo systemctl stop kintone-line-gateway）、もう一度実行してください。ストアはそのままです",
        en: "another program has the store open: stop the service (sudo systemctl stop kintone-line-gateway), then run it again; the store is unchanged",
    }
    // store rescue
    RESCUE_MOVED {
        ja: "壊れたストアは別の名前で残しました：{path}",
        en: "The damaged store was moved aside and kept: {path}",
    }
    RESCUE_NEW {
        ja: "読めたものから新しいストアを作りました：",
        en: "A new store was made with what could be read:",
    }
    RESCUE_KEPT {
        ja: "  {table} {kept} 件を移しました",
        en: "  {table} kept {kept}",
    }
    RESCUE_LOST {
        ja: "  {table} {kept} 件を移し、{lost} 件が失われました（壊れていました）",
        en: "  {table} kept {kept}, lost {lost} (damaged)",
    }
    RESCUE_LOST_UNKNOWN {
        ja: "  {table} {kept} 件を移しました。失われた件数は分かりません（壊れていました）",
        en: "  {table} kept {kept}, lost an unknown number (damaged)",
    }
    RESCUE_SOME_LOST {
        ja: "読めなかった行があります。サービスを起動してください。移せた送信待ちの作業はいつもどおり進みます。",
        en: "Some rows could not be read. Start the service again; queued work that was kept is done as usual.",
    }
    RESCUE_ALL_KEPT {
        ja: "失われたものはありません。サービスを起動してください。",
        en: "Nothing was lost. Start the service again.",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_languages_take_the_same_parameters_and_each_is_its_language() {
        crate::text::said::check_table(super::ALL);
    }
}
