//! The pages as maud templates (compiled into the binary, escaped by
//! default). Every word comes from the page catalogue (`text::PageTexts`).

use maud::{html, Markup, DOCTYPE};

use super::data::{CostView, NowView};
use super::health::{HealthView, ServiceRow};
use crate::clock::local_text;
use crate::text::{fill, Language, PageTexts};

/// Which tab a page is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tab {
    Now,
    Health,
    Cost,
    Audit,
    Staff,
    Rules,
}

/// What every page needs: the language, the zone, the CSRF token of the
/// session (for the log-out form), and whether there is a password.
pub(super) struct Frame<'a> {
    pub language: Language,
    pub zone: &'a jiff::tz::TimeZone,
    pub csrf: &'a str,
    pub can_log_out: bool,
}

impl Frame<'_> {
    pub(super) fn t(&self) -> &'static PageTexts {
        self.language.page()
    }

    pub(super) fn time(&self, ms: i64) -> String {
        local_text(ms, self.zone, self.language)
    }

    /// A whole page around `body`, refreshed every few seconds.
    pub(super) fn page(&self, tab: Tab, body: Markup) -> Markup {
        let t = self.t();
        let tabs = [
            (Tab::Now, "/ui/now", t.nav_now),
            (Tab::Health, "/ui/health", t.nav_health),
            (Tab::Cost, "/ui/cost", t.nav_cost),
            (Tab::Audit, "/ui/audit", t.nav_audit),
            (Tab::Staff, "/ui/staff", t.nav_staff),
            (Tab::Rules, "/ui/rules", t.nav_rules),
        ];
        html! {
            (DOCTYPE)
            html lang=(self.language.code()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    meta http-equiv="refresh" content="5";
                    title { (t.title) }
                    link rel="stylesheet" href="/ui/style.css";
                }
                body {
                    header {
                        h1 { (t.title) }
                        nav {
                            @for (which, href, label) in tabs {
                                a href=(href) class=[(which == tab).then_some("here")] { (label) }
                            }
                        }
                        @if self.can_log_out {
                            form method="post" action="/ui/logout" {
                                input type="hidden" name="csrf" value=(self.csrf);
                                button type="submit" { (t.logout) }
                            }
                        }
                    }
                    main { (body) }
                }
            }
        }
    }

    /// `{n} min` for an age in ms.
    pub(super) fn age(&self, ms: i64) -> String {
        let t = self.t();
        let s = (ms / 1000).max(0);
        let (text, n) = match s {
            0..60 => (t.age_seconds, s),
            60..3600 => (t.age_minutes, s / 60),
            3600..86_400 => (t.age_hours, s / 3600),
            _ => (t.age_days, s / 86_400),
        };
        fill(text, &[("n", &n.to_string())])
    }

    fn ago(&self, now_ms: i64, ms: Option<i64>) -> String {
        let t = self.t();
        ms.map_or_else(
            || t.never.to_owned(),
            |ms| fill(t.ago, &[("age", &self.age(now_ms - ms))]) + " · " + &self.time(ms),
        )
    }

    fn stage(&self, stage: Option<&str>) -> String {
        let t = self.t();
        let n = |s: &str| s.split([' ', ':']).nth(1).unwrap_or("1").to_owned();
        match stage {
            None => t.stage_none.to_owned(),
            Some(s) if s.starts_with("reminder") => fill(t.stage_reminder, &[("n", &n(s))]),
            Some(s) if s.starts_with("escalation") => fill(t.stage_escalation, &[("n", &n(s))]),
            Some(_) => t.stage_first.to_owned(),
        }
    }

    /// An acknowledgement's outcome in plain words: a refusal or "someone
    /// was first" as the audit words say it, a failure with kintone's
    /// reason after its word.
    pub(super) fn outcome(&self, outcome: &str) -> String {
        let t = self.t();
        match outcome {
            "written" => t.outcome_written.to_owned(),
            "already-written" => t.outcome_already.to_owned(),
            other => match other.strip_prefix("failed: ") {
                Some(reason) => format!("{} ({reason})", t.outcome_failed),
                None => crate::text::audit::audit_word(self.language, other),
            },
        }
    }

    /// What a page action was, in plain words.
    pub(super) fn action(&self, action: &str) -> &'static str {
        let t = self.t();
        match action {
            "ui-login" => t.action_login,
            "ui-login-refused" => t.action_login_refused,
            "ui-locked-out" => t.action_locked_out,
            "ui-logout" => t.action_logout,
            "ui-export" => t.action_export,
            "ui-invite" => t.action_invite,
            "ui-revoke" => t.action_revoke,
            _ => t.action_unlink,
        }
    }

    pub(super) fn now(&self, v: &NowView) -> Markup {
        let t = self.t();
        let light = match v.indicator {
            "on" => t.indicator_on,
            "off" => t.indicator_off,
            _ => t.indicator_trouble,
        };
        let count = v.open.len().to_string();
        self.page(Tab::Now, html! {
            p #indicator data-state=(v.indicator) {
                span class={ "light " (v.indicator) } {} (t.indicator) ": " strong { (light) }
            }
            h2 { (fill(t.now_open, &[("count", &count)])) }
            @if v.open.is_empty() { p #open-none.dim { (t.now_none) } } @else {
                table #open { thead { tr {
                    th { (t.col_record) } th { (t.col_rule) } th { (t.col_recipients) }
                    th { (t.col_age) } th { (t.col_stage) }
                } } tbody {
                    @for o in &v.open { @let n = &o.notification;
                        tr.open data-notification=(n.id) data-record=(n.record) {
                            td data-label=(t.col_record) {
                                strong { "#" (n.record) " " (n.title) } br;
                                span.dim { (n.status) } " · " a href=(o.url) target="_blank" rel="noopener" { (t.open_in_kintone) }
                            }
                            td data-label=(t.col_rule) { (n.rule) }
                            td data-label=(t.col_recipients) { (n.recipients.join(", ")) }
                            td data-label=(t.col_age) { (self.age(v.now_ms - n.created_ms)) }
                            td data-label=(t.col_stage) { (self.stage(n.stage.as_deref())) }
                        }
                    }
                } }
            }
            h2 { (t.last_acks) }
            @if v.acks.is_empty() { p.dim { (t.acks_none) } } @else {
                table #acks { thead { tr { th { (t.col_when) } th { (t.col_record) } th { (t.col_who) } th { (t.col_outcome) } } }
                tbody { @for a in &v.acks {
                    tr.ack data-record=(a.ack.record) {
                        td data-label=(t.col_when) { (self.time(a.ack.at_ms)) }
                        td data-label=(t.col_record) { a href=(a.url) target="_blank" rel="noopener" { "#" (a.ack.record) } }
                        td data-label=(t.col_who) { (a.ack.actor) }
                        td data-label=(t.col_outcome) { (self.outcome(&a.ack.outcome)) }
                    }
                } } }
            }
        })
    }

    fn service_name(&self, row: &ServiceRow) -> String {
        let t = self.t();
        match row.service.split_once(':') {
            Some(("kintone", app)) => fill(t.service_kintone, &[("app", app)]),
            Some(("ingress", mode)) => fill(t.service_ingress, &[("mode", mode)]),
            _ if row.service == "line" => t.service_line.to_owned(),
            _ if row.service == "watchdog" => t.service_watchdog.to_owned(),
            _ => t.service_store.to_owned(),
        }
    }

    pub(super) fn health(&self, v: &HealthView) -> Markup {
        let t = self.t();
        self.page(Tab::Health, html! {
            h2 { (t.health_title) }
            table #health { thead { tr {
                th { (t.col_service) } th { (t.col_state) } th { (t.col_last_ok) } th { (t.col_last_error) }
            } } tbody { @for r in &v.services {
                @let state = match r.state { "ok" => t.state_ok, "failing" => t.state_failing, _ => t.state_never };
                tr data-service=(r.service) data-state=(r.state) {
                    td data-label=(t.col_service) {
                        (self.service_name(r))
                        @if let Some(n) = r.count {
                            @let text = if r.service.starts_with("kintone") { t.requests_today } else { t.ingress_taken };
                            br; span.dim { (fill(text, &[("count", &n.to_string())])) }
                        }
                    }
                    td data-label=(t.col_state) class=(r.state) { (state) }
                    td data-label=(t.col_last_ok) { (self.ago(v.now_ms, r.last_ok_ms)) }
                    td data-label=(t.col_last_error) {
                        @if let Some(e) = &r.last_error { span.error { (e) } br; }
                        span.dim { (self.ago(v.now_ms, r.last_error_ms)) }
                    }
                }
            } } }
            @if let Some(d) = &v.disk {
                @let mb = |b: u64| (b / 1_000_000).to_string();
                p #disk data-low=(d.low) class=[d.low.then_some("failing")] {
                    (fill(t.disk_room, &[("free", &mb(d.free_bytes)), ("total", &mb(d.total_bytes))]))
                    @if d.low { br; (t.disk_low) }
                }
            }
        })
    }

    pub(super) fn cost(&self, v: &CostView, chart: Markup) -> Markup {
        let t = self.t();
        let n = |x: i64| x.to_string();
        let quota = match v.quota_limit {
            None => t.cost_quota_unknown.to_owned(),
            Some(-1) => t.cost_no_limit.to_owned(),
            Some(limit) => fill(
                t.cost_quota,
                &[("used", &n(v.quota_used)), ("limit", &n(limit))],
            ),
        };
        self.page(Tab::Cost, html! {
            h2 { (t.cost_title) }
            p #counted data-count=(v.counted) { strong { (fill(t.cost_month, &[("count", &n(v.counted))])) } }
            p { (quota) }
            p #saved data-count=(v.saved) { (fill(t.cost_saved, &[("count", &n(v.saved))])) }
            h2 { (t.cost_chart) }
            (chart)
            h2 { (t.cost_kintone) }
            table #kintone { tbody { @for a in &v.kintone {
                tr data-app=(a.app) data-count=(a.requests) {
                    td { (fill(t.cost_kintone_app, &[("app", &a.app.to_string()), ("count", &a.requests.to_string())])) }
                    td { meter min="0" max=(a.limit) value=(a.requests) {} }
                }
            } } }
        })
    }
}

/// The login form (`message`: why the last try failed).
pub(super) fn login(language: Language, csrf: &str, message: Option<&str>) -> Markup {
    let t = language.page();
    html! {
        (DOCTYPE)
        html lang=(language.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (t.login_title) " — " (t.title) }
                link rel="stylesheet" href="/ui/style.css";
            }
            body { main { form.login method="post" action="/ui/login" {
                h1 { (t.title) }
                h2 { (t.login_title) }
                @if let Some(m) = message { p #login-error.error { (m) } }
                input type="hidden" name="csrf" value=(csrf);
                label for="password" { (t.login_password) }
                input #password type="password" name="password" autocomplete="current-password" required autofocus;
                button type="submit" { (t.login_submit) }
            } } }
        }
    }
}

/// A short page for a refusal (403, 404).
pub(super) fn notice(language: Language, text: &str) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(language.code()) {
            head { meta charset="utf-8"; title { (language.page().title) } link rel="stylesheet" href="/ui/style.css"; }
            body { main { p { (text) } p { a href="/ui/now" { (language.page().nav_now) } } } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outcome_reads_as_what_happened_not_as_a_failure() {
        let zone = jiff::tz::TimeZone::UTC;
        let frame = |language| Frame {
            language,
            zone: &zone,
            csrf: "",
            can_log_out: false,
        };
        let ja = frame(Language::Ja);
        assert_eq!(ja.outcome("already-acknowledged"), "確認済みだった");
        assert_eq!(
            ja.outcome("refused: not a recipient"),
            "受け付けず（送り先ではない人）"
        );
        let failed = ja.outcome("failed: 403");
        assert!(failed.ends_with("(403)"), "{failed}");
        assert_eq!(
            frame(Language::En).outcome("refused: not a recipient"),
            "refused: not a recipient"
        );
    }
}
