//! 日本語のメッセージ — every text in Japanese, for office and field staff:
//! polite forms (です・ます) in the bot's answers, full-width punctuation.

use super::Catalogue;

pub static JA: Catalogue = Catalogue {
    card_acknowledge: "確認しました",
    card_acknowledge_shown: "#{record} を確認しました",
    card_open: "kintoneで開く",
    card_more: "ほか {count} 件は kintone で",
    alt_app: "【{app}】",
    alt_record: "#{record} {status}",
    alt_title: "：{title}",
    chain_reminder: "【リマインド {n}回目】まだ確認されていません。",
    chain_escalation: "【エスカレーション】{before} に通知しましたが、まだ確認されていません。",
    chain_name_separator: "、",
    told_others: "✓ {name}さんが #{record}「{title}」を確認しました。",

    welcome_back: "{name}さん、おかえりなさい。通知はこちらにお届けします。",
    welcome: "友だち追加ありがとうございます！通知を受け取るには、管理者から届いた8文字のコード（例：ABCD-EFGH）をこのトークに送ってください。",
    link_hint: "アカウントを連携するには、管理者から届いた8文字のコードを送ってください。",
    linked: "✓ {name}さんとして連携しました。通知はこちらにお届けします。",
    code_unknown: "コードが正しくありません。お確かめのうえ、もう一度送ってください。",
    code_expired: "このコードは有効期限が切れています。管理者に新しいコードをご依頼ください。",
    code_used: "このコードはすでに使われています。管理者に新しいコードをご依頼ください。",
    code_rate_limited: "誤ったコードが続いたため、受付を一時停止しています。1時間ほどおいてから、もう一度お試しください。",
    code_unchecked: "申し訳ありません。ただいまコードを確認できませんでした。1分ほどおいてから、もう一度お試しください。",
    group_hello: "こんにちは！このグループに通知をお届けできるようになりました。",
    unknown_user: "LINEユーザー",
    user_by_id: "LINEユーザー {id}",

    recording: "受け付けました。記録しています…",
    busy: "受け付けました。kintone が混み合っているため、記録はまもなく行います。",
    app_not_connected: "アプリ {app} はこのゲートウェイに接続されていません。",
    already_acknowledged: "#{record} はすでに確認済みです（確認した人：{by}）。",
    button_foreign: "申し訳ありません。このボタンには対応していません。",
    button_damaged: "申し訳ありません。ボタンのデータが壊れています。最新の通知のボタンをお使いください。",
    refused_unknown: "申し訳ありません。このボタンの通知が見つからないため、記録していません。最新の通知のボタンをお使いください。",
    refused_not_recipient: "申し訳ありません。この通知はあなた宛てではないため、確認を記録できません。通知を受け取った方にご依頼ください。",
    refused_not_staff: "申し訳ありません。通知を確認できるのは連携済みのスタッフだけです。事務所に招待コードをご依頼ください。",
    write_refused: "申し訳ありません。#{record} の確認を kintone に記録できませんでした。{reason}",
    reason_unauthorized: "ゲートウェイにこのアプリへの書き込み権限がありません。事務所にお知らせください。",
    reason_not_found: "レコードが見つかりません（削除された可能性があります）。",
    reason_rejected: "kintone が変更を受け付けませんでした（レコードの状態が変わった可能性があります）。kintone でレコードをご確認ください。",
    reason_other: "予期しない問題が起きました。事務所にお知らせください。",

    default_comment: "確認しました：{{name}}（{{via}}、{{time}}）",
    default_reply: "✓ 記録しました：#{{record}} {{title}}",
    via_line: "LINE",
    via_panel: "パネルのボタン",
    panel_actor: "事務所のパネル",
    marker: "（受付 {code}）",
};
