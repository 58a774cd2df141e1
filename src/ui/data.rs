//! What the pages show, gathered once per request from the store and the
//! counters: the same values render as HTML (`templates`) and as JSON
//! (`/ui/api/…`).

use std::sync::atomic::Ordering;

use serde::Serialize;

use super::Ui;
use crate::store::audit::AckRecord;
use crate::store::board::OpenNotification;

/// kintone's daily request limit per app.
pub const KINTONE_DAILY_LIMIT: u64 = 10_000;
/// Open notifications and acknowledgements shown at most.
const SHOWN: i64 = 50;
const DAY_MS: i64 = 86_400_000;

/// *Now*: what waits, the panel light, the last acknowledgements.
#[derive(Debug, Serialize)]
pub struct NowView {
    pub now_ms: i64,
    pub open: Vec<OpenItem>,
    /// `off`, `on` or `trouble`, as the panel shows it.
    pub indicator: &'static str,
    pub acks: Vec<AckItem>,
}

#[derive(Debug, Serialize)]
pub struct OpenItem {
    #[serde(flatten)]
    pub notification: OpenNotification,
    pub url: String,
}

#[derive(Debug, Serialize)]
pub struct AckItem {
    #[serde(flatten)]
    pub ack: AckRecord,
    pub url: String,
}

/// *Cost*: LINE messages this month per day, kintone requests today.
#[derive(Debug, Serialize)]
pub struct CostView {
    /// The local dates of this month so far, oldest first.
    pub days: Vec<DayCount>,
    pub counted: i64,
    /// Messages not counted because cards went together.
    pub saved: i64,
    /// LINE's monthly limit (`None`: not checked yet, `Some(-1)`: none).
    pub quota_limit: Option<i64>,
    pub quota_used: i64,
    pub kintone: Vec<AppRequests>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DayCount {
    /// `YYYY-MM-DD` in the site's zone.
    pub date: String,
    pub counted: i64,
}

#[derive(Debug, Serialize)]
pub struct AppRequests {
    pub app: u64,
    pub requests: u64,
    pub limit: u64,
}

impl Ui {
    /// The record's page in kintone.
    pub(super) fn record_url(&self, app: i64, record: i64) -> String {
        let k = &self.config.kintone;
        let space = k
            .guest_space
            .map(|g| format!("guest/{g}/"))
            .unwrap_or_default();
        format!("{}/k/{space}{app}/show#record={record}", k.base_url)
    }

    pub(super) async fn now_view(&self) -> anyhow::Result<NowView> {
        let open = self.store.board_open(SHOWN).await?;
        let acks = self.store.recent_acks(SHOWN.min(10)).await?;
        let indicator = match self.metrics.indicator_state.load(Ordering::Relaxed) {
            0 => "off",
            1 => "on",
            _ => "trouble",
        };
        Ok(NowView {
            now_ms: self.clock.now_ms(),
            open: open
                .into_iter()
                .map(|n| OpenItem {
                    url: self.record_url(n.app, n.record),
                    notification: n,
                })
                .collect(),
            indicator,
            acks: acks
                .into_iter()
                .map(|a| AckItem {
                    url: self.record_url(a.app, a.record),
                    ack: a,
                })
                .collect(),
        })
    }

    pub(super) async fn cost_view(&self) -> anyhow::Result<CostView> {
        let now_ms = self.clock.now_ms();
        let (start_ms, dates) = month_so_far(now_ms, &self.config.time_zone);
        let sent = self.store.sent_since(start_ms).await?;
        let mut days: Vec<DayCount> = dates
            .into_iter()
            .map(|date| DayCount { date, counted: 0 })
            .collect();
        let (mut counted, mut cards) = (0, 0);
        for p in &sent {
            let date = local_date(p.sent_ms, &self.config.time_zone);
            if let Some(d) = days.iter_mut().find(|d| d.date == date) {
                d.counted += p.counted;
            }
            counted += p.counted;
            cards += p.cards;
        }
        let m = &self.metrics;
        let limit = m.quota_limit.load(Ordering::Relaxed);
        let usage = m.kintone_usage.today(now_ms);
        Ok(CostView {
            days,
            counted,
            saved: (cards - counted).max(0),
            quota_limit: (limit != 0).then_some(limit),
            quota_used: m.quota_used.load(Ordering::Relaxed),
            kintone: self
                .config
                .kintone
                .apps
                .iter()
                .map(|a| AppRequests {
                    app: a.id.get(),
                    requests: usage.per_app.get(&a.id.get()).copied().unwrap_or(0),
                    limit: KINTONE_DAILY_LIMIT,
                })
                .collect(),
        })
    }
}

/// `YYYY-MM-DD` of `ms` in `zone`.
pub(super) fn local_date(ms: i64, zone: &jiff::tz::TimeZone) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(
        |_| String::new(),
        |t| {
            t.to_zoned_datetime(zone.clone())
                .strftime("%Y-%m-%d")
                .to_string()
        },
    )
}

/// The start of this month in `zone` (wall ms) and its dates up to today.
fn month_so_far(now_ms: i64, zone: &jiff::tz::TimeZone) -> (i64, Vec<String>) {
    let Ok(now) = jiff::Timestamp::from_millisecond(now_ms) else {
        return (now_ms, Vec::new());
    };
    let local = now.to_zoned_datetime(zone.clone());
    let first = local
        .date()
        .first_of_month()
        .to_datetime(jiff::civil::Time::midnight())
        .to_zoned_datetime(zone.clone())
        .map_or(now_ms - DAY_MS, |z| z.timestamp().as_millisecond());
    let dates = (1..=local.day())
        .filter_map(|d| local.date().with().day(d).build().ok())
        .map(|d| d.strftime("%Y-%m-%d").to_string())
        .collect();
    (first, dates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_month_starts_at_local_midnight_and_lists_each_day_so_far() {
        let zone = jiff::tz::TimeZone::get("Asia/Tokyo").expect("zone");
        // 2026-12-03 10:00 JST
        let now: jiff::Timestamp = "2026-12-03T01:00:00Z".parse().expect("time");
        let (start, dates) = month_so_far(now.as_millisecond(), &zone);
        let first: jiff::Timestamp = "2026-11-30T15:00:00Z".parse().expect("time");
        assert_eq!(start, first.as_millisecond());
        assert_eq!(dates, ["2026-12-01", "2026-12-02", "2026-12-03"]);
    }
}
