//! The shell completions, rendered from the gateway's own argument
//! definitions; shared by `examples/assets.rs` and the CLI tests.
//!
//! clap_complete (4.6.12) spells the state of a hyphenated binary's
//! subcommands two ways in its bash script: the loop that reads the words
//! so far writes `kintone__line__gateway__subcmd__acks`, the labels that
//! offer each command's options read `kintone__subcmd__line__subcmd__gateway
//! __subcmd__acks` (clap-rs/clap#6421). No label ever matched, so bash never
//! completed an option of a command. The labels are mended here.

use clap_complete::Shell;

pub const NAME: &str = "kintone-line-gateway";

/// The completion script for `shell`.
pub fn render(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(
        shell,
        &mut kintone_line_gateway::cli::command(),
        NAME,
        &mut out,
    );
    if shell != Shell::Bash {
        return out;
    }
    let (broken, mended) = (NAME.replace('-', "__subcmd__"), NAME.replace('-', "__"));
    String::from_utf8_lossy(&out)
        .replace(
            &format!("{broken}__subcmd__"),
            &format!("{mended}__subcmd__"),
        )
        .into_bytes()
}
