//! `run --new-store` and `store rescue`: the operator's two ways out when
//! the store is gone (exit 66) or damaged (exit 65).

use super::args::StoreAction;
use super::words;
use crate::config::setup::Setup;
use crate::store::rescue::{rescue, Rescued};
use crate::store::{Creation, Store};
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
    }
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
