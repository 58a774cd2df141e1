//! `completions SHELL` and `man`: generated from the same argument
//! definitions clap parses, so they cannot drift; the `.deb` ships their
//! output (`.ci/deb` makes the files).

use std::io::Write as _;

use clap::CommandFactory;

use super::args::Cli;

const NAME: &str = "kintone-line-gateway";

pub(super) fn completions(shell: clap_complete::Shell) -> anyhow::Result<()> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), NAME, &mut buf);
    std::io::stdout().lock().write_all(&buf)?;
    Ok(())
}

pub(super) fn man() -> anyhow::Result<()> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut buf)?;
    std::io::stdout().lock().write_all(&buf)?;
    Ok(())
}
