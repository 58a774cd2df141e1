//! The `kintone-line-gateway` binary: everything lives in the library.

fn main() -> std::process::ExitCode {
    kintone_line_gateway::cli::main()
}
