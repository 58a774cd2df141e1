//! The `[kintone]` section: the domain, guest space, timeout and every app.

use std::time::Duration;

use toml::Table;

use super::apps::{self, AppConfig};
use super::check_base_url;
use super::reader::Reader;

#[derive(Debug, Clone)]
pub struct KintoneConfig {
    pub base_url: String,
    pub guest_space: Option<u32>,
    pub timeout: Duration,
    pub apps: Vec<AppConfig>,
}

pub(super) fn read_kintone(r: &mut Reader, t: &Table) -> Option<KintoneConfig> {
    let p = "kintone";
    r.unknown_keys(t, p, &["base_url", "guest_space", "timeout", "apps"]);
    let base_url = r.str(t, p, "base_url").unwrap_or_default();
    check_base_url(r, "kintone.base_url", &base_url);
    let guest_space = r.opt_int(t, p, "guest_space").and_then(|g| {
        let ok = u32::try_from(g).ok().filter(|g| *g > 0);
        if ok.is_none() {
            r.problem("kintone.guest_space", "must be a positive space id");
        }
        ok
    });
    let timeout = r
        .opt_duration(t, p, "timeout")
        .unwrap_or(Duration::from_secs(10));
    let tables = r.tables(t, p, "apps");
    if tables.is_empty() {
        r.problem("kintone.apps", "configure at least one [[kintone.apps]]");
    }
    let mut apps = Vec::new();
    for (i, app) in tables.into_iter().enumerate() {
        if let Some(a) = apps::read_app(r, app, &format!("kintone.apps[{i}]")) {
            if apps.iter().any(|x: &AppConfig| x.id == a.id) {
                r.problem(
                    format!("kintone.apps[{i}].id"),
                    format!("app {} is configured twice", a.id),
                );
            }
            apps.push(a);
        }
    }
    Some(KintoneConfig {
        base_url: base_url.trim_end_matches('/').to_owned(),
        guest_space,
        timeout,
        apps,
    })
}
