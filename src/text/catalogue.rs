//! The shape of a message catalogue: every text a person reads in LINE or
//! kintone, as one field each. Both languages fill every field, so the
//! compiler checks that neither catalogue misses a text.
//!
//! `{name}` marks a parameter, filled by [`super::fill`]; `{{name}}` (only in
//! the template defaults) is a config template placeholder, left for
//! `config::Template`.

/// Every text staff read, in one language.
#[derive(Debug)]
pub struct Catalogue {
    // The notification card.
    /// The Acknowledge button's label (≤ 20 characters).
    pub card_acknowledge: &'static str,
    /// What the chat shows when the button is tapped: `{record}`.
    pub card_acknowledge_shown: &'static str,
    /// The button that opens the record in kintone (≤ 20 characters).
    pub card_open: &'static str,
    /// The note under a field table cut short: `{count}` rows not shown.
    pub card_more: &'static str,
    /// altText's app prefix: `{app}`.
    pub alt_app: &'static str,
    /// altText's record and status: `{record}`, `{status}`.
    pub alt_record: &'static str,
    /// altText's title suffix: `{title}`.
    pub alt_title: &'static str,
    /// The banner on a reminder card, also before its altText: `{n}`.
    pub chain_reminder: &'static str,
    /// The banner on an escalation card, also before its altText: `{before}`
    /// (who was notified before, joined by `chain_name_separator`).
    pub chain_escalation: &'static str,
    /// Between the names in `chain_escalation`.
    pub chain_name_separator: &'static str,
    /// To a notification's other recipients (`tell_others`): `{name}`,
    /// `{record}`, `{title}`.
    pub told_others: &'static str,

    // Linking staff.
    /// A friend the bot already knows: `{name}`.
    pub welcome_back: &'static str,
    /// A new friend: how to link.
    pub welcome: &'static str,
    /// Chat from someone not linked yet.
    pub link_hint: &'static str,
    /// A code redeemed: `{name}`.
    pub linked: &'static str,
    pub code_unknown: &'static str,
    pub code_expired: &'static str,
    pub code_used: &'static str,
    /// Too many wrong codes in an hour.
    pub code_rate_limited: &'static str,
    /// The store could not check the code.
    pub code_unchecked: &'static str,
    /// The bot was added to a group.
    pub group_hello: &'static str,
    /// The name written back when LINE names nobody.
    pub unknown_user: &'static str,
    /// The name written back when the profile is unavailable: `{id}`.
    pub user_by_id: &'static str,

    // A tap on the Acknowledge button.
    /// The interim Reply while a slow write-back goes on.
    pub recording: &'static str,
    /// The Reply while kintone is busy and the write is retried later.
    pub busy: &'static str,
    /// `{app}` is not in the config.
    pub app_not_connected: &'static str,
    /// Someone acknowledged first: `{record}`, `{by}`.
    pub already_acknowledged: &'static str,
    /// Button data that is not ours.
    pub button_foreign: &'static str,
    /// Our button data, damaged.
    pub button_damaged: &'static str,
    /// A refused tap: no such notification.
    pub refused_unknown: &'static str,
    /// A refused tap: the card was not sent to this person.
    pub refused_not_recipient: &'static str,
    /// A refused tap: the rule wants linked staff.
    pub refused_not_staff: &'static str,
    /// kintone refused the write-back: `{record}`, `{reason}` (one below).
    pub write_refused: &'static str,
    pub reason_unauthorized: &'static str,
    pub reason_not_found: &'static str,
    pub reason_rejected: &'static str,
    pub reason_other: &'static str,

    // kintone.
    /// `[kintone.apps.ack] comment`'s default (a config template).
    pub default_comment: &'static str,
    /// `[kintone.apps.ack] reply`'s default (a config template).
    pub default_reply: &'static str,
    /// `{{via}}` for a LINE tap.
    pub via_line: &'static str,
    /// `{{via}}` for the office panel's button.
    pub via_panel: &'static str,
    /// `{{name}}` for the office panel.
    pub panel_actor: &'static str,
    /// The last line of a comment, the write-back's marker: `{code}`.
    pub marker: &'static str,
}

impl Catalogue {
    /// Every text with its field name, in declaration order: for checks that
    /// go through all of them (LINE's limits, the uses in `src/`). The
    /// destructuring has no `..`, so a new field must be listed here.
    pub fn entries(&self) -> [(&'static str, &'static str); 43] {
        let Catalogue {
            card_acknowledge,
            card_acknowledge_shown,
            card_open,
            card_more,
            alt_app,
            alt_record,
            alt_title,
            chain_reminder,
            chain_escalation,
            chain_name_separator,
            told_others,
            welcome_back,
            welcome,
            link_hint,
            linked,
            code_unknown,
            code_expired,
            code_used,
            code_rate_limited,
            code_unchecked,
            group_hello,
            unknown_user,
            user_by_id,
            recording,
            busy,
            app_not_connected,
            already_acknowledged,
            button_foreign,
            button_damaged,
            refused_unknown,
            refused_not_recipient,
            refused_not_staff,
            write_refused,
            reason_unauthorized,
            reason_not_found,
            reason_rejected,
            reason_other,
            default_comment,
            default_reply,
            via_line,
            via_panel,
            panel_actor,
            marker,
        } = self;
        [
            ("card_acknowledge", card_acknowledge),
            ("card_acknowledge_shown", card_acknowledge_shown),
            ("card_open", card_open),
            ("card_more", card_more),
            ("alt_app", alt_app),
            ("alt_record", alt_record),
            ("alt_title", alt_title),
            ("chain_reminder", chain_reminder),
            ("chain_escalation", chain_escalation),
            ("chain_name_separator", chain_name_separator),
            ("told_others", told_others),
            ("welcome_back", welcome_back),
            ("welcome", welcome),
            ("link_hint", link_hint),
            ("linked", linked),
            ("code_unknown", code_unknown),
            ("code_expired", code_expired),
            ("code_used", code_used),
            ("code_rate_limited", code_rate_limited),
            ("code_unchecked", code_unchecked),
            ("group_hello", group_hello),
            ("unknown_user", unknown_user),
            ("user_by_id", user_by_id),
            ("recording", recording),
            ("busy", busy),
            ("app_not_connected", app_not_connected),
            ("already_acknowledged", already_acknowledged),
            ("button_foreign", button_foreign),
            ("button_damaged", button_damaged),
            ("refused_unknown", refused_unknown),
            ("refused_not_recipient", refused_not_recipient),
            ("refused_not_staff", refused_not_staff),
            ("write_refused", write_refused),
            ("reason_unauthorized", reason_unauthorized),
            ("reason_not_found", reason_not_found),
            ("reason_rejected", reason_rejected),
            ("reason_other", reason_other),
            ("default_comment", default_comment),
            ("default_reply", default_reply),
            ("via_line", via_line),
            ("via_panel", via_panel),
            ("panel_actor", panel_actor),
            ("marker", marker),
        ]
    }
}
