//! What the commands answer a person, in the config's `language` (Japanese
//! unless it says `en`): `staff`, `send`, `outbox retry`, `backup` and
//! `store rescue`. Parameters are `{name}` placeholders.

use crate::text::said::said;

said! {
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
