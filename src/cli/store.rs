//! `run --new-store` and `store rescue`: the operator's two ways out when
//! the store is gone (exit 66) or damaged (exit 65).

use super::args::StoreAction;
use crate::config::setup::Setup;
use crate::store::rescue::{rescue, Rescued};
use crate::store::{Creation, Store};

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
            let dir = crate::config::state_dir_of(config)?;
            let rescued = rescue(&dir)?;
            print!("{}", report(&rescued));
            Ok(())
        }
    }
}

/// What was kept and lost, a line per table, for the operator.
fn report(r: &Rescued) -> String {
    let mut out = format!(
        "The damaged store was moved aside and kept: {}\nA new store was made with what could be read:\n",
        r.damaged_file.display()
    );
    let mut lost_any = false;
    for t in &r.tables {
        let line = match (t.damaged, t.lost()) {
            (false, _) => format!("  {:<16} kept {}", t.table, t.kept),
            (true, Some(lost)) => {
                format!("  {:<16} kept {}, lost {lost} (damaged)", t.table, t.kept)
            }
            (true, None) => format!(
                "  {:<16} kept {}, lost an unknown number (damaged)",
                t.table, t.kept
            ),
        };
        lost_any |= t.damaged;
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str(if lost_any {
        "Some rows could not be read. Start the service again; queued work that was kept is done as usual.\n"
    } else {
        "Nothing was lost. Start the service again.\n"
    });
    out
}
