//! What `systemctl status` shows (`STATUS=`) and `kintone-line-gateway
//! status` prints back, in the config's `language` (Japanese unless it says
//! `en`). Numbers stay digits: the saved line is compared without them.

use crate::text::said::said;

said! {
    STATUS_LINE {
        ja: "{store}確認待ち {acks} 件、送信待ち {queued} 件、最後のプッシュ {last}、LINE {line}、kintone {kintone}（今日 {requests} 回）、今月の送信数 {quota}、ランプ {indicator}",
        en: "{store}{acks} pending ack(s), {queued} push(es) queued, last push {last}, LINE {line}, kintone {kintone} ({requests} requests today), quota {quota}, indicator {indicator}",
    }
    STORE_FAILING {
        ja: "ストアに書き込めません（/healthz を見てください）。",
        en: "STORE FAILING (see /healthz); ",
    }
    NEVER { ja: "なし", en: "never" }
    SEEN_OK { ja: "正常", en: "ok" }
    SEEN_FAILING { ja: "つながりません", en: "failing" }
    SEEN_NOT_YET { ja: "まだ接続していません", en: "not contacted yet" }
    QUOTA_OK { ja: "上限内", en: "ok" }
    QUOTA_EXHAUSTED { ja: "上限に達しました", en: "EXHAUSTED" }
    INDICATOR_OK { ja: "正常", en: "ok" }
    INDICATOR_FAULT {
        ja: "GPIO の異常（やり直しています）",
        en: "GPIO failing (retrying)",
    }
    FILE_DELETED {
        ja: "{path} が消されました",
        en: "{path} was deleted",
    }
    FILE_REPLACED {
        ja: "{path} が別のファイルに置き換えられました",
        en: "{path} was replaced by another file",
    }
    STALLED {
        ja: "止まっています：{why}。{status}",
        en: "STALLED: {why}; {status}",
    }
    STALL_SLOW {
        ja: "ストアの書き込みが時間内に終わりません",
        en: "store did not commit in time",
    }
    STALL_STORE { ja: "ストア：{e}", en: "store: {e}" }
    STALL_LOOP {
        ja: "{loop}の処理が進んでいません",
        en: "the {loop} loop is stuck",
    }
    LOOP_ACK { ja: "確認（ack）", en: "ack" }
    LOOP_CHANGES { ja: "kintone の変更（changes）", en: "changes" }
    LOOP_OUTBOX { ja: "送信（outbox）", en: "outbox" }
    STOPPED { ja: "停止しました。{status}", en: "stopped; {status}" }
    STOPPING { ja: "停止しています", en: "stopping" }
    RELOADING { ja: "設定を読み直しています", en: "reloading the config" }
    NOTHING_LIVE {
        ja: "すぐに変わったものはありません",
        en: "nothing changed live",
    }
    CHANGED_LIVE {
        ja: "すぐに変わったもの：{keys}",
        en: "changed live: {keys}",
    }
    RELOADED {
        ja: "設定を読み直しました。{live}",
        en: "config reloaded; {live}",
    }
    RELOADED_RESTART {
        ja: "設定を読み直しました。{live}。再起動すると変わるもの：{keys}",
        en: "config reloaded; {live}; needs a restart to take effect: {keys}",
    }
    RELOAD_REFUSED {
        ja: "設定を読み直せませんでした：設定に直すところが {n} 件あります。前の設定のまま動いています",
        en: "reload refused: {n} problem(s) in the config; running on the previous one",
    }
    RELOAD_TLS_REFUSED {
        ja: "設定を読み直せませんでした：TLS のファイルが使えません。前の設定のまま動いています",
        en: "reload refused: TLS files unusable; running on the previous config",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_languages_take_the_same_parameters_and_each_is_its_language() {
        crate::text::said::check_table(super::ALL);
    }
}
