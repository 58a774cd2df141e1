//! English messages — every text in English, plain and polite.

use super::Catalogue;

pub static EN: Catalogue = Catalogue {
    card_acknowledge: "Acknowledge",
    card_acknowledge_shown: "Acknowledge #{record}",
    card_open: "Open in kintone",
    card_more: "+{count} more in kintone",
    alt_app: "[{app}] ",
    alt_record: "#{record} {status}",
    alt_title: ": {title}",

    welcome_back: "Welcome back, {name}. You will get notifications here.",
    welcome: "Hello! To get notifications, send me the 8-character code your administrator gave you (like ABCD-EFGH).",
    link_hint: "To link your account, send the 8-character code your administrator gave you.",
    linked: "✓ Linked as {name}. You will get notifications here.",
    code_unknown: "That code is not valid. Check it and try again.",
    code_expired: "That code has expired. Ask your administrator for a new one.",
    code_used: "That code was already used. Ask your administrator for a new one.",
    code_rate_limited: "Too many wrong codes. Please wait an hour and try again.",
    code_unchecked: "Sorry, I could not check the code just now. Please try again in a minute.",
    group_hello: "Hello! Rules can now send notifications to this group.",
    unknown_user: "LINE user",
    user_by_id: "LINE user {id}",

    recording: "Received — recording…",
    busy: "Received — kintone is busy, I'll record it shortly.",
    app_not_connected: "App {app} is not connected to this gateway.",
    already_acknowledged: "#{record} was already acknowledged by {by}.",
    button_foreign: "Sorry, I don't know that button.",
    button_damaged: "Sorry, that button's data is damaged; please use the newest notification.",
    refused_unknown: "Sorry, I can't find the notification behind that button, so nothing was recorded. Please use the newest notification.",
    refused_not_recipient: "Sorry, this notification was not sent to you, so I can't record an acknowledgement from you. Please ask the person it was sent to.",
    refused_not_staff: "Sorry, only linked staff can acknowledge notifications. Please ask the office for an invite code.",
    write_refused: "Sorry — your acknowledgement of #{record} could not be recorded in kintone: {reason}",
    reason_unauthorized: "the gateway is not allowed to write to this app. Please tell the office.",
    reason_not_found: "the record no longer exists.",
    reason_rejected: "kintone did not accept the change (the record may have moved on). Please check the record in kintone.",
    reason_other: "something unexpected went wrong. Please tell the office.",

    default_comment: "Acknowledged by {{name}} via {{via}} at {{time}}",
    default_reply: "✓ Recorded — #{{record}} {{title}}",
    via_line: "LINE",
    via_panel: "the panel button",
    panel_actor: "office panel",
    marker: "(ref {code})",
};
