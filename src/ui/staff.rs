//! *Staff*: linked people and groups; "invite" makes a one-time code and
//! shows it with a QR code of the bot's add-friend link (the bot's basic ID
//! from LINE's bot-info API, asked once), so a new person scans it, adds
//! the bot and sends the code; revoke an invite; unlink a person. Each
//! action is a CSRF-checked POST and is audited.

use std::net::SocketAddr;

use hyper::StatusCode;
use maud::{html, Markup};
use serde::Serialize;

use super::server::Answer;
use super::templates::{Frame, Tab};
use super::{svg, Ui};
use crate::store::staff::{GroupEntry, OpenInvite, StaffMember};

/// How long a code made on the page stays valid (as `staff invite`'s default).
const VALID_MS: i64 = 72 * 3600 * 1000;

#[derive(Debug, Serialize)]
pub(super) struct StaffView {
    pub staff: Vec<StaffMember>,
    pub groups: Vec<GroupEntry>,
    pub invites: Vec<OpenInvite>,
    /// The bot's add-friend link (`None`: LINE did not say its basic ID).
    pub add_friend: Option<String>,
}

impl Ui {
    /// The bot's add-friend link, from its basic ID (asked of LINE once).
    async fn add_friend(&self) -> Option<String> {
        let id = self
            .basic_id
            .get_or_try_init(|| async {
                let info = self.line.bot_info().await.map_err(|e| e.to_string())?;
                info["basicId"]
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| "no basicId".to_owned())
            })
            .await;
        match id {
            Ok(id) => Some(format!(
                "https://line.me/R/ti/p/%40{}",
                id.trim_start_matches('@')
            )),
            Err(e) => {
                tracing::info!(error = %e, "page: the bot's basic ID is not known; invites show no QR code");
                None
            }
        }
    }

    pub(super) async fn staff_view(&self) -> anyhow::Result<StaffView> {
        Ok(StaffView {
            staff: self.store.staff_list().await?,
            groups: self.store.groups().await?,
            invites: self.store.invites_open(self.clock.now_ms()).await?,
            add_friend: self.add_friend().await,
        })
    }

    /// `POST /ui/staff/invite` (`name`, `kintone_user`): a new code, shown
    /// on the Staff tab with its QR code.
    pub(super) async fn invite(&self, form: &[(String, String)], peer: SocketAddr) -> Answer {
        let name = super::pages::field(form, "name")
            .unwrap_or("")
            .trim()
            .to_owned();
        if name.is_empty() || name.chars().count() > 100 {
            return Answer::redirect("/ui/staff");
        }
        let kintone = super::pages::field(form, "kintone_user")
            .map(str::trim)
            .filter(|k| !k.is_empty());
        let now = self.clock.now_ms();
        let made = self
            .store
            .invite_create(
                name.clone(),
                kintone.map(str::to_owned),
                now,
                now + VALID_MS,
            )
            .await;
        match made {
            Ok(invite) => {
                self.audit(peer, "ui-invite", &format!("invite code made for {name}"))
                    .await;
                Answer::redirect(&format!("/ui/staff?invite={}", invite.code))
            }
            Err(e) => self.unavailable(&e.into()),
        }
    }

    /// `POST /ui/staff/revoke` (`code`).
    pub(super) async fn revoke(&self, form: &[(String, String)], peer: SocketAddr) -> Answer {
        let code = super::pages::field(form, "code").unwrap_or("").to_owned();
        match self.store.invite_revoke(code.clone()).await {
            Ok(true) => {
                self.audit(peer, "ui-revoke", &format!("invite {code} revoked"))
                    .await;
                Answer::redirect("/ui/staff")
            }
            Ok(false) => Answer::redirect("/ui/staff"),
            Err(e) => self.unavailable(&e.into()),
        }
    }

    /// `POST /ui/staff/unlink` (`line_user_id`).
    pub(super) async fn unlink(&self, form: &[(String, String)], peer: SocketAddr) -> Answer {
        let who = super::pages::field(form, "line_user_id")
            .unwrap_or("")
            .to_owned();
        if !who.starts_with('U') {
            return Answer::redirect("/ui/staff");
        }
        match self.store.staff_remove(who.clone()).await {
            Ok(n) => {
                if n > 0 {
                    self.audit(peer, "ui-unlink", &format!("{who} unlinked"))
                        .await;
                }
                Answer::redirect("/ui/staff")
            }
            Err(e) => self.unavailable(&e.into()),
        }
    }

    pub(super) fn unavailable(&self, e: &anyhow::Error) -> Answer {
        tracing::warn!(error = %e, "page: the store could not be used");
        Answer::json(
            StatusCode::SERVICE_UNAVAILABLE,
            &serde_json::json!({ "error": "the store could not be used" }),
        )
    }
}

impl Frame<'_> {
    fn post(&self, action: &str, name: &str, value: &str, label: &str) -> Markup {
        html! {
            form.inline method="post" action=(action) {
                input type="hidden" name="csrf" value=(self.csrf);
                input type="hidden" name=(name) value=(value);
                button type="submit" { (label) }
            }
        }
    }

    pub(super) fn staff(&self, v: &StaffView, shown: Option<&str>) -> Markup {
        let t = self.t();
        let fresh = shown.and_then(|c| v.invites.iter().find(|i| i.code == c));
        self.page(Tab::Staff, html! {
            @if let Some(i) = fresh {
                section #new-invite data-code=(i.code) {
                    h2 { (crate::text::fill(t.staff_invite_made, &[("name", &i.display_name)])) }
                    p.code { (i.code) }
                    @if let Some(link) = &v.add_friend {
                        p { (t.staff_invite_scan) }
                        (svg::qr(link))
                        p.dim { a href=(link) { (link) } }
                    }
                    p.dim { (crate::text::fill(t.staff_invite_until, &[("time", &self.time(i.expires_ms))])) }
                }
            }
            h2 { (t.staff_title) }
            @if v.staff.is_empty() { p.dim { (t.staff_none) } }
            table #staff { tbody { @for s in &v.staff {
                tr data-user=(s.line_user_id) {
                    td { strong { (s.display_name) } @if let Some(k) = &s.kintone_user { br; span.dim { "kintone: " (k) } } }
                    td { (self.time(s.linked_ms)) }
                    td { (self.post("/ui/staff/unlink", "line_user_id", &s.line_user_id, t.staff_unlink)) }
                }
            } } }
            @if !v.groups.is_empty() {
                h2 { (t.staff_groups) }
                ul { @for g in &v.groups { li { (g.name.as_deref().unwrap_or(&g.group_id)) } } }
            }
            h2 { (t.staff_invites) }
            table #invites { tbody { @for i in &v.invites {
                tr.invite data-code=(i.code) {
                    td { strong { (i.code) } " " (i.display_name) }
                    td.dim { (crate::text::fill(t.staff_invite_until, &[("time", &self.time(i.expires_ms))])) }
                    td { (self.post("/ui/staff/revoke", "code", &i.code, t.staff_revoke)) }
                }
            } } }
            form.search method="post" action="/ui/staff/invite" {
                input type="hidden" name="csrf" value=(self.csrf);
                label { (t.staff_name) " " input name="name" required maxlength="100"; }
                label { (t.staff_kintone_user) " " input name="kintone_user" maxlength="100"; }
                button #invite type="submit" { (t.staff_invite) }
            }
        })
    }
}
