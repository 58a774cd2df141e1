//! `run --new-store` and `store rescue`: the operator's two ways out when
//! the store is gone (exit 66) or damaged (exit 65); `store compact`, to
//! give an older store a new one's layout.

use super::args::StoreAction;
use super::words;
use crate::config::setup::Setup;
use crate::store::compact::{compact, Compacted};
use crate::store::rescue::{rescue, Rescued};
use crate::store::{Creation, Store, StoreError};
use crate::text::Language;

/// `run`, after making a new store first when the operator asked for one.
pub(super) async fn run(
    setup: Setup,
    config: &std::path::Path,
    new_store: bool,
) -> anyhow::Result<()> {
    if new_store {
        // Opened and closed again: the daemon then finds it as any start does.
        drop(Store::open_with(&setup.config.state_dir, Creation::Anew)?);
    }
    crate::daemon::run_until_signal(setup, config).await
}

/// `store …` commands.
pub(super) fn store(config: &std::path::Path, action: &StoreAction) -> anyhow::Result<()> {
    match action {
        StoreAction::Rescue => {
            let settings = crate::config::report_settings(config)?;
            let rescued = rescue(&settings.state_dir)?;
            print!("{}", report(&rescued, settings.language));
            Ok(())
        }
        StoreAction::Compact => {
            let settings = crate::config::report_settings(config)?;
            let lang = settings.language;
            match compact(&settings.state_dir) {
                Ok(done) => {
                    print!("{}", compacted(&done, lang));
                    Ok(())
                }
                Err(StoreError::Open { source, .. })
                    if source.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) =>
                {
                    Err(anyhow::anyhow!(words::COMPACT_RUNNING.in_(lang)))
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}

/// The store's size and page size before and after, for the operator.
fn compacted(c: &Compacted, lang: Language) -> String {
    let size = |bytes: u64| match bytes {
        0..0x10_0000 => format!("{} KiB", bytes.div_ceil(1024)),
        _ => format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20)),
    };
    let (before, after) = (size(c.before.bytes), size(c.after.bytes));
    let pages = (
        c.before.page_size.to_string(),
        c.after.page_size.to_string(),
    );
    let mut out = words::COMPACTED.fill(
        lang,
        &[
            ("before", &before),
            ("after", &after),
            ("page_before", &pages.0),
            ("page_after", &pages.1),
        ],
    );
    out.push('\n');
    if c.after.gives_back && !c.before.gives_back {
        out.push_str(words::COMPACT_GIVES_BACK.in_(lang));
        out.push('\n');
    }
    out
}

/// What was kept and lost, a line per table, for the operator.
fn report(r: &Rescued, lang: Language) -> String {
    let path = r.damaged_file.display().to_string();
    let mut out = words::RESCUE_MOVED.fill(lang, &[("path", &path)]);
    out.push('\n');
    out.push_str(words::RESCUE_NEW.in_(lang));
    out.push('\n');
    let mut lost_any = false;
    for t in &r.tables {
        let (table, kept) = (format!("{:<16}", t.table), t.kept.to_string());
        let line = match (t.damaged, t.lost()) {
            (false, _) => words::RESCUE_KEPT.fill(lang, &[("table", &table), ("kept", &kept)]),
            (true, Some(lost)) => {
                let lost = lost.to_string();
                let args = [("table", table.as_str()), ("kept", &kept), ("lost", &lost)];
                words::RESCUE_LOST.fill(lang, &args)
            }
            (true, None) => {
                words::RESCUE_LOST_UNKNOWN.fill(lang, &[("table", &table), ("kept", &kept)])
            }
        };
        lost_any |= t.damaged;
        out.push_str(&line);
        out.push('\n');
    }
    let last = if lost_any {
        words::RESCUE_SOME_LOST
    } else {
        words::RESCUE_ALL_KEPT
    };
    out.push_str(last.in_(lang));
    out.push('\n');
    out
}
