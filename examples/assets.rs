//! The man page and shell completions the `.deb` ships, rendered from the
//! gateway's own argument definitions: `cargo run --example assets -- DIR`
//! writes `DIR/kintone-line-gateway.1.gz` and `DIR/completions/` (bash,
//! zsh, fish). `.ci/assets` runs it; Cargo.toml's deb assets name the files.
//! An example, not a subcommand: the board's binary stays without them.

use std::path::PathBuf;

use clap_complete::Shell;

#[path = "assets/completions.rs"]
mod completions;
use completions::NAME;

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "target/assets".into()),
    );
    let completions = dir.join("completions");
    std::fs::create_dir_all(&completions)?;
    for (shell, file) in [
        (Shell::Bash, NAME.to_owned()),
        (Shell::Zsh, format!("_{NAME}")),
        (Shell::Fish, format!("{NAME}.fish")),
    ] {
        std::fs::write(completions.join(file), completions::render(shell))?;
    }
    let mut roff = Vec::new();
    // The man page's other section names are upper case (clap_mangen makes
    // the options' so): the commands' too.
    let page = kintone_line_gateway::cli::command().subcommand_help_heading("コマンド（COMMANDS）");
    clap_mangen::Man::new(page).render(&mut roff)?;
    std::fs::write(dir.join(format!("{NAME}.1")), roff)?;
    println!("{}", dir.display());
    Ok(())
}
