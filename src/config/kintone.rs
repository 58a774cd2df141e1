//! The `[kintone]` section: the domain, guest space, timeout and every app.

use std::time::Duration;

use toml::Table;

use super::apps::{self, AppConfig};
use super::reader::Reader;
use super::section_words;
use crate::text::Language;

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
    if let Err(e) = check_kintone_url(&base_url, r.language) {
        r.problem("kintone.base_url", e);
    }
    let guest_space = r.opt_int(t, p, "guest_space").and_then(|g| {
        let ok = u32::try_from(g).ok().filter(|g| *g > 0);
        if ok.is_none() {
            r.said("kintone.guest_space", &section_words::SPACE_ID, &[]);
        }
        ok
    });
    let timeout = r
        .opt_duration(t, p, "timeout")
        .unwrap_or(Duration::from_secs(10));
    let tables = r.tables(t, p, "apps");
    if tables.is_empty() {
        r.said("kintone.apps", &section_words::NO_APPS, &[]);
    }
    let mut apps = Vec::new();
    for (i, app) in tables.into_iter().enumerate() {
        if let Some(a) = apps::read_app(r, app, &format!("kintone.apps[{i}]")) {
            if apps.iter().any(|x: &AppConfig| x.id == a.id) {
                let id = a.id.to_string();
                r.said(
                    format!("kintone.apps[{i}].id"),
                    &section_words::APP_TWICE,
                    &[("app", &id)],
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

/// The kintone domains a site lives on.
const KINTONE_DOMAINS: &[&str] = &[".cybozu.com", ".kintone.com", ".cybozu.cn"];

/// `base_url` is the site's origin: `https://<subdomain>.cybozu.com`
/// (`.kintone.com`, `.cybozu.cn`), or a local fake for tests
/// (`http://127.0.0.1…`, `http://localhost…`), with no path. A pasted app URL
/// is refused with the origin to write instead.
fn check_kintone_url(url: &str, language: Language) -> Result<(), String> {
    if url.is_empty() {
        return Ok(()); // `missing (required)` was said already
    }
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let (host_port, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = host_port.split(':').next().unwrap_or("");
    let local = host == "127.0.0.1" || host == "localhost";
    let kintone = KINTONE_DOMAINS
        .iter()
        .any(|d| host.len() > d.len() && host.ends_with(d));
    let origin_ok = match scheme {
        "https" => kintone || local,
        "http" => local,
        _ => false,
    };
    let fixed = if kintone {
        format!("https://{host_port}")
    } else {
        format!("{scheme}://{host_port}")
    };
    let (value, fixed) = (format!("{url:?}"), format!("{fixed:?}"));
    if !kintone && !local {
        return Err(section_words::NOT_KINTONE.fill(language, &[("value", &value)]));
    }
    if !origin_ok || !matches!(path, "" | "/") || url.contains(char::is_whitespace) {
        let args = [("value", value.as_str()), ("fixed", &fixed)];
        return Err(section_words::SITE_ADDRESS_ONLY.fill(language, &args));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::text::Language;

    fn check_kintone_url(url: &str) -> Result<(), String> {
        super::check_kintone_url(url, Language::En)
    }

    #[test]
    fn base_url_is_a_kintone_origin_and_a_pasted_app_url_gets_the_fix() {
        for ok in [
            "https://x.cybozu.com",
            "https://x.cybozu.com/",
            "https://x.kintone.com",
            "https://x.cybozu.cn",
            "http://127.0.0.1:8080",
            "http://localhost:9",
        ] {
            assert_eq!(check_kintone_url(ok), Ok(()), "{ok}");
        }
        let e = check_kintone_url("https://x.cybozu.com/k/42/").unwrap_err();
        assert!(
            e.contains("write base_url = \"https://x.cybozu.com\""),
            "{e}"
        );
        let e = check_kintone_url("http://x.cybozu.com").unwrap_err();
        assert!(
            e.contains("write base_url = \"https://x.cybozu.com\""),
            "{e}"
        );
        for bad in [
            "ftp://x",
            "https://example.com",
            "https://cybozu.com",
            "x.cybozu.com.evil.net",
        ] {
            assert!(
                check_kintone_url(bad)
                    .unwrap_err()
                    .contains("not a kintone site"),
                "{bad}"
            );
        }
    }
}
