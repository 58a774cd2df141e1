//! *Audit*: acknowledgements searched by record, person and date (a GET
//! form: it changes nothing), exported as CSV; and the last actions taken
//! through this page.

use std::net::SocketAddr;

use hyper::StatusCode;
use maud::{html, Markup};
use serde::Serialize;

use super::server::Answer;
use super::templates::{Frame, Tab};
use super::Ui;
use crate::store::audit::AckRecord;
use crate::store::audit_search::AckQuery;
use crate::store::operator_audit::PageAction;

/// Rows shown (and exported) at most.
const LIMIT: i64 = 500;

/// The search as typed, kept to fill the form again.
#[derive(Debug, Default, Serialize)]
pub(super) struct Search {
    pub record: String,
    pub person: String,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Serialize)]
pub(super) struct AuditView {
    pub acks: Vec<AckRecord>,
    pub page_actions: Vec<PageAction>,
}

impl Search {
    /// The search in a query string (`record=5&person=Taro&from=2026-12-01&to=…`).
    pub(super) fn parse(query: Option<&str>) -> Search {
        let mut s = Search::default();
        for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            let v = v.trim().to_owned();
            match &*k {
                "record" => s.record = v,
                "person" => s.person = v,
                "from" => s.from = v,
                "to" => s.to = v,
                _ => {}
            }
        }
        s
    }

    /// The store's query: dates are whole local days in `zone`, `to` included.
    fn query(&self, zone: &jiff::tz::TimeZone) -> AckQuery {
        let day = |text: &str, next: bool| -> Option<i64> {
            let d: jiff::civil::Date = text.parse().ok()?;
            let d = if next { d.tomorrow().ok()? } else { d };
            let z = d
                .to_datetime(jiff::civil::Time::midnight())
                .to_zoned_datetime(zone.clone())
                .ok()?;
            Some(z.timestamp().as_millisecond())
        };
        AckQuery {
            record: self.record.trim_start_matches('#').parse().ok(),
            person: (!self.person.is_empty()).then(|| self.person.clone()),
            from_ms: day(&self.from, false),
            until_ms: day(&self.to, true),
        }
    }

    fn query_string(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("record", &self.record)
            .append_pair("person", &self.person)
            .append_pair("from", &self.from)
            .append_pair("to", &self.to)
            .finish()
    }
}

impl Ui {
    /// The search's acknowledgements as a CSV file (audited: it takes
    /// names out of the board).
    pub(super) async fn export(&self, query: Option<&str>, peer: SocketAddr) -> Answer {
        let search = Search::parse(query);
        let view = match self.audit_view(&search).await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(error = %e, "page: the store could not be read");
                return Answer::json(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &serde_json::json!({ "error": "the store could not be read" }),
                );
            }
        };
        let detail = format!("exported {} acknowledgement(s) as CSV", view.acks.len());
        self.audit(peer, "ui-export", &detail).await;
        Answer {
            status: StatusCode::OK,
            content_type: "text/csv; charset=utf-8",
            body: super::audit::csv(&view.acks, &self.config.time_zone),
            headers: vec![(
                "content-disposition",
                "attachment; filename=\"acknowledgements.csv\"".to_owned(),
            )],
        }
    }
    pub(super) async fn audit_view(&self, s: &Search) -> anyhow::Result<AuditView> {
        let acks = self
            .store
            .acks_search(s.query(&self.config.time_zone), LIMIT)
            .await?;
        let page_actions = self.store.page_actions(20).await?;
        Ok(AuditView { acks, page_actions })
    }
}

/// A CSV cell: quoted, and a leading `= + - @` defused so a spreadsheet
/// never runs it as a formula.
fn cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// The acknowledgements as CSV (UTF-8 with a BOM, so Excel reads Japanese).
pub(super) fn csv(acks: &[AckRecord], zone: &jiff::tz::TimeZone) -> String {
    let mut out = String::from(
        "\u{feff}time,actor,line_user_id,app,record,notification,method,outcome,reply\r\n",
    );
    for a in acks {
        let row = [
            crate::clock::format_ms(a.at_ms, zone),
            a.actor.clone(),
            a.line_user_id.clone().unwrap_or_default(),
            a.app.to_string(),
            a.record.to_string(),
            a.notification.clone(),
            a.method.clone(),
            a.outcome.clone(),
            a.reply.clone(),
        ];
        out.push_str(&row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

impl Frame<'_> {
    pub(super) fn audit(&self, s: &Search, v: &AuditView) -> Markup {
        let t = self.t();
        let csv_href = format!("/ui/audit.csv?{}", s.query_string());
        self.page(Tab::Audit, html! {
            h2 { (t.audit_title) }
            form.search method="get" action="/ui/audit" {
                label { (t.col_record) " " input name="record" inputmode="numeric" size="6" value=(s.record); }
                label { (t.col_who) " " input name="person" size="12" value=(s.person); }
                label { (t.audit_from) " " input type="date" name="from" value=(s.from); }
                label { (t.audit_to) " " input type="date" name="to" value=(s.to); }
                button type="submit" { (t.audit_search) }
            }
            p { a #csv href=(csv_href) download="acknowledgements.csv" { (t.audit_csv) } }
            @if v.acks.is_empty() { p.dim { (t.acks_none) } } @else {
                table #found { thead { tr { th { (t.col_when) } th { (t.col_record) } th { (t.col_who) } th { (t.col_outcome) } } }
                tbody { @for a in &v.acks {
                    tr.ack data-record=(a.record) {
                        td data-label=(t.col_when) { (self.time(a.at_ms)) }
                        td data-label=(t.col_record) { "#" (a.record) }
                        td data-label=(t.col_who) { (a.actor) }
                        td data-label=(t.col_outcome) { (self.outcome(&a.outcome)) }
                    }
                } } }
            }
            h2 { (t.audit_page_actions) }
            table #page-actions { tbody { @for a in &v.page_actions {
                tr data-action=(a.action) {
                    td { (self.time(a.at_ms)) } td { strong { (self.action(&a.action)) } br; span.dim { (a.actor) } }
                    td.dim { (a.detail) }
                }
            } } }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_whole_local_days_and_cells_are_defused() {
        let zone = jiff::tz::TimeZone::get("Asia/Tokyo").expect("zone");
        let s = Search::parse(Some(
            "record=%235&person=Taro&from=2026-12-01&to=2026-12-01",
        ));
        let q = s.query(&zone);
        assert_eq!(q.record, Some(5));
        let from: jiff::Timestamp = "2026-11-30T15:00:00Z".parse().expect("t");
        assert_eq!(q.from_ms, Some(from.as_millisecond()));
        assert_eq!(q.until_ms, Some(from.as_millisecond() + 86_400_000));
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("山田 太郎"), "\"山田 太郎\"");
    }
}
