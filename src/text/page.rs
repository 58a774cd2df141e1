//! The words of the board's web page (`src/ui/`), one field each: the same
//! shape as [`super::Catalogue`], kept apart so the LINE and kintone texts
//! stay one screen. Both languages fill every field.

/// Every text the web page shows, in one language.
#[derive(Debug)]
pub struct PageTexts {
    /// The page's heading.
    pub title: &'static str,
    /// Tab: what waits now.
    pub nav_now: &'static str,
    /// Tab: health.
    pub nav_health: &'static str,
    /// Tab: cost.
    pub nav_cost: &'static str,
    /// The log-out button.
    pub logout: &'static str,
    /// The login form's heading.
    pub login_title: &'static str,
    /// The password field's label.
    pub login_password: &'static str,
    /// The login button.
    pub login_submit: &'static str,
    /// After a wrong password.
    pub login_wrong: &'static str,
    /// After too many wrong passwords: `{minutes}`.
    pub login_locked: &'static str,
    /// A form without its token (403).
    pub form_expired: &'static str,
    /// An unknown page (404).
    pub not_found: &'static str,
    /// Heading: open notifications, `{count}`.
    pub now_open: &'static str,
    /// No open notification.
    pub now_none: &'static str,
    /// Column: the record.
    pub col_record: &'static str,
    /// Column: the rule.
    pub col_rule: &'static str,
    /// Column: whom it went to.
    pub col_recipients: &'static str,
    /// Column: how long it waits.
    pub col_age: &'static str,
    /// Column: reminder / escalation stage.
    pub col_stage: &'static str,
    /// The link to the record.
    pub open_in_kintone: &'static str,
    /// Stage: only the first notice went.
    pub stage_first: &'static str,
    /// Stage: `{n}` reminders went.
    pub stage_reminder: &'static str,
    /// Stage: escalated `{n}` times.
    pub stage_escalation: &'static str,
    /// Stage: the rule has no reminders.
    pub stage_none: &'static str,
    /// Label: the office panel's light.
    pub indicator: &'static str,
    /// Light off.
    pub indicator_off: &'static str,
    /// Light on.
    pub indicator_on: &'static str,
    /// Light shows trouble.
    pub indicator_trouble: &'static str,
    /// Heading: the last acknowledgements.
    pub last_acks: &'static str,
    /// No acknowledgement yet.
    pub acks_none: &'static str,
    /// Column: when.
    pub col_when: &'static str,
    /// Column: who.
    pub col_who: &'static str,
    /// Column: how it was written back.
    pub col_outcome: &'static str,
    /// An age: `{n}` seconds.
    pub age_seconds: &'static str,
    /// An age: `{n}` minutes.
    pub age_minutes: &'static str,
    /// An age: `{n}` hours.
    pub age_hours: &'static str,
    /// An age: `{n}` days.
    pub age_days: &'static str,
    /// A past time: `{age}` ago.
    pub ago: &'static str,
    /// Heading: health.
    pub health_title: &'static str,
    /// Column: the service.
    pub col_service: &'static str,
    /// Column: its state.
    pub col_state: &'static str,
    /// Column: last success.
    pub col_last_ok: &'static str,
    /// Column: last error.
    pub col_last_error: &'static str,
    /// Row: LINE.
    pub service_line: &'static str,
    /// Row: kintone app `{app}`.
    pub service_kintone: &'static str,
    /// Row: the store.
    pub service_store: &'static str,
    /// Row: how webhooks arrive, `{mode}`.
    pub service_ingress: &'static str,
    /// State: working.
    pub state_ok: &'static str,
    /// State: failing.
    pub state_failing: &'static str,
    /// State: not contacted yet.
    pub state_never: &'static str,
    /// No time to show.
    pub never: &'static str,
    /// kintone requests today: `{count}`.
    pub requests_today: &'static str,
    /// Heading: cost.
    pub cost_title: &'static str,
    /// Messages counted this month: `{count}`.
    pub cost_month: &'static str,
    /// LINE's monthly limit: `{used}`, `{limit}`.
    pub cost_quota: &'static str,
    /// The limit was not asked yet.
    pub cost_quota_unknown: &'static str,
    /// The plan has no limit.
    pub cost_no_limit: &'static str,
    /// What batching saved: `{count}`.
    pub cost_saved: &'static str,
    /// The chart's label.
    pub cost_chart: &'static str,
    /// Heading: kintone requests today.
    pub cost_kintone: &'static str,
    /// kintone app `{app}`: `{count}` requests.
    pub cost_kintone_app: &'static str,
    /// Tab: the audit.
    pub nav_audit: &'static str,
    /// Heading: acknowledgements searched.
    pub audit_title: &'static str,
    /// Search: from this date.
    pub audit_from: &'static str,
    /// Search: to this date (included).
    pub audit_to: &'static str,
    /// The search button.
    pub audit_search: &'static str,
    /// The CSV export link.
    pub audit_csv: &'static str,
    /// Heading: what was done through this page.
    pub audit_page_actions: &'static str,
    /// Ingress: events taken in since start, `{count}`.
    pub ingress_taken: &'static str,
    /// Tab: staff.
    pub nav_staff: &'static str,
    /// Heading: linked staff.
    pub staff_title: &'static str,
    /// No one linked yet.
    pub staff_none: &'static str,
    /// The unlink button.
    pub staff_unlink: &'static str,
    /// Heading: LINE groups the bot is in.
    pub staff_groups: &'static str,
    /// Heading: open invites.
    pub staff_invites: &'static str,
    /// The revoke button.
    pub staff_revoke: &'static str,
    /// Invite form: the person's name.
    pub staff_name: &'static str,
    /// Invite form: their kintone login name (optional).
    pub staff_kintone_user: &'static str,
    /// The invite button.
    pub staff_invite: &'static str,
    /// Heading: the new code for `{name}`.
    pub staff_invite_made: &'static str,
    /// How to use the QR code.
    pub staff_invite_scan: &'static str,
    /// Valid until `{time}`.
    pub staff_invite_until: &'static str,
    /// Tab: rules.
    pub nav_rules: &'static str,
    /// Heading: the rules and their cards.
    pub rules_title: &'static str,
    /// What a rule watches: `{app}`, `{field}`, `{from}`, `{to}`.
    pub rules_when: &'static str,
    /// The rule reminds or escalates.
    pub rules_reminders: &'static str,
    /// The preview is the card last pushed.
    pub rules_preview_last: &'static str,
    /// The preview is built from sample values.
    pub rules_preview_sample: &'static str,
    /// The sample record's title.
    pub rules_sample_title: &'static str,
    /// Row: the loops the watchdog watches.
    pub service_watchdog: &'static str,
    /// Outcome: written back to kintone.
    pub outcome_written: &'static str,
    /// Outcome: kintone already had it.
    pub outcome_already: &'static str,
    /// Outcome: the write-back failed.
    pub outcome_failed: &'static str,
    /// Page action: signed in.
    pub action_login: &'static str,
    /// Page action: a password was refused.
    pub action_login_refused: &'static str,
    /// Page action: an address was locked out.
    pub action_locked_out: &'static str,
    /// Page action: signed out.
    pub action_logout: &'static str,
    /// Page action: CSV export.
    pub action_export: &'static str,
    /// Page action: invite made.
    pub action_invite: &'static str,
    /// Page action: invite revoked.
    pub action_revoke: &'static str,
    /// Page action: someone unlinked.
    pub action_unlink: &'static str,
    /// Ingress: Pub/Sub cannot be reached.
    pub health_pubsub_down: &'static str,
    /// Watchdog: the `{loop}` loop stalled.
    pub health_loop_stalled: &'static str,
    /// Health: room on the board's disk, `{free}` and `{total}` in MB.
    pub disk_room: &'static str,
    /// Health: the disk is nearly full.
    pub disk_low: &'static str,
}

impl PageTexts {
    /// Every text with its field name, in field order.
    pub fn entries(&self) -> [(&'static str, &'static str); 105] {
        [
            ("title", self.title),
            ("nav_now", self.nav_now),
            ("nav_health", self.nav_health),
            ("nav_cost", self.nav_cost),
            ("logout", self.logout),
            ("login_title", self.login_title),
            ("login_password", self.login_password),
            ("login_submit", self.login_submit),
            ("login_wrong", self.login_wrong),
            ("login_locked", self.login_locked),
            ("form_expired", self.form_expired),
            ("not_found", self.not_found),
            ("now_open", self.now_open),
            ("now_none", self.now_none),
            ("col_record", self.col_record),
            ("col_rule", self.col_rule),
            ("col_recipients", self.col_recipients),
            ("col_age", self.col_age),
            ("col_stage", self.col_stage),
            ("open_in_kintone", self.open_in_kintone),
            ("stage_first", self.stage_first),
            ("stage_reminder", self.stage_reminder),
            ("stage_escalation", self.stage_escalation),
            ("stage_none", self.stage_none),
            ("indicator", self.indicator),
            ("indicator_off", self.indicator_off),
            ("indicator_on", self.indicator_on),
            ("indicator_trouble", self.indicator_trouble),
            ("last_acks", self.last_acks),
            ("acks_none", self.acks_none),
            ("col_when", self.col_when),
            ("col_who", self.col_who),
            ("col_outcome", self.col_outcome),
            ("age_seconds", self.age_seconds),
            ("age_minutes", self.age_minutes),
            ("age_hours", self.age_hours),
            ("age_days", self.age_days),
            ("ago", self.ago),
            ("health_title", self.health_title),
            ("col_service", self.col_service),
            ("col_state", self.col_state),
            ("col_last_ok", self.col_last_ok),
            ("col_last_error", self.col_last_error),
            ("service_line", self.service_line),
            ("service_kintone", self.service_kintone),
            ("service_store", self.service_store),
            ("service_ingress", self.service_ingress),
            ("state_ok", self.state_ok),
            ("state_failing", self.state_failing),
            ("state_never", self.state_never),
            ("never", self.never),
            ("requests_today", self.requests_today),
            ("cost_title", self.cost_title),
            ("cost_month", self.cost_month),
            ("cost_quota", self.cost_quota),
            ("cost_quota_unknown", self.cost_quota_unknown),
            ("cost_no_limit", self.cost_no_limit),
            ("cost_saved", self.cost_saved),
            ("cost_chart", self.cost_chart),
            ("cost_kintone", self.cost_kintone),
            ("cost_kintone_app", self.cost_kintone_app),
            ("nav_audit", self.nav_audit),
            ("audit_title", self.audit_title),
            ("audit_from", self.audit_from),
            ("audit_to", self.audit_to),
            ("audit_search", self.audit_search),
            ("audit_csv", self.audit_csv),
            ("audit_page_actions", self.audit_page_actions),
            ("ingress_taken", self.ingress_taken),
            ("nav_staff", self.nav_staff),
            ("staff_title", self.staff_title),
            ("staff_none", self.staff_none),
            ("staff_unlink", self.staff_unlink),
            ("staff_groups", self.staff_groups),
            ("staff_invites", self.staff_invites),
            ("staff_revoke", self.staff_revoke),
            ("staff_name", self.staff_name),
            ("staff_kintone_user", self.staff_kintone_user),
            ("staff_invite", self.staff_invite),
            ("staff_invite_made", self.staff_invite_made),
            ("staff_invite_scan", self.staff_invite_scan),
            ("staff_invite_until", self.staff_invite_until),
            ("nav_rules", self.nav_rules),
            ("rules_title", self.rules_title),
            ("rules_when", self.rules_when),
            ("rules_reminders", self.rules_reminders),
            ("rules_preview_last", self.rules_preview_last),
            ("rules_preview_sample", self.rules_preview_sample),
            ("rules_sample_title", self.rules_sample_title),
            ("service_watchdog", self.service_watchdog),
            ("outcome_written", self.outcome_written),
            ("outcome_already", self.outcome_already),
            ("outcome_failed", self.outcome_failed),
            ("action_login", self.action_login),
            ("action_login_refused", self.action_login_refused),
            ("action_locked_out", self.action_locked_out),
            ("action_logout", self.action_logout),
            ("action_export", self.action_export),
            ("action_invite", self.action_invite),
            ("action_revoke", self.action_revoke),
            ("action_unlink", self.action_unlink),
            ("health_pubsub_down", self.health_pubsub_down),
            ("health_loop_stalled", self.health_loop_stalled),
            ("disk_room", self.disk_room),
            ("disk_low", self.disk_low),
        ]
    }
}
