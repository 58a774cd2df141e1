//! A command line clap refused, said in plain words first: no config has
//! been read yet, so in Japanese (the default language), with clap's own
//! lines after it for the details and the suggestions it makes.

use clap::error::{ContextKind, ContextValue, ErrorKind};

use super::words;
use crate::text::Language;

/// The lines printed before clap's own message.
pub(super) fn said(e: &clap::Error, language: Language) -> String {
    let arg =
        context(e, ContextKind::InvalidArg).or_else(|| context(e, ContextKind::InvalidSubcommand));
    let line = match (e.kind(), arg) {
        (ErrorKind::UnknownArgument, Some(arg)) => {
            words::USAGE_UNKNOWN_ARGUMENT.fill(language, &[("arg", &arg)])
        }
        (ErrorKind::InvalidSubcommand, Some(arg)) => {
            words::USAGE_UNKNOWN_COMMAND.fill(language, &[("arg", &arg)])
        }
        (ErrorKind::InvalidValue | ErrorKind::ValueValidation, Some(arg)) => {
            match context(e, ContextKind::InvalidValue).filter(|v| !v.is_empty()) {
                Some(value) => {
                    words::USAGE_BAD_VALUE.fill(language, &[("arg", &arg), ("value", &value)])
                }
                None => words::USAGE_NO_VALUE.fill(language, &[("arg", &arg)]),
            }
        }
        (ErrorKind::MissingRequiredArgument, Some(arg)) => {
            words::USAGE_MISSING.fill(language, &[("arg", &arg)])
        }
        (ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand, _) => {
            words::USAGE_NO_COMMAND.in_(language).to_owned()
        }
        _ => words::USAGE_OTHER.in_(language).to_owned(),
    };
    format!("{line}\n{}", words::USAGE_HELP.in_(language))
}

/// One piece of the error's context as text (several joined with ", ").
fn context(e: &clap::Error, kind: ContextKind) -> Option<String> {
    match e.get(kind)? {
        ContextValue::String(s) => Some(s.clone()),
        ContextValue::Strings(list) => Some(list.join(", ")),
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(args: &[&str]) -> String {
        let line = std::iter::once("kintone-line-gateway").chain(args.iter().copied());
        match super::super::command().try_get_matches_from(line) {
            Ok(_) => panic!("{args:?} parsed"),
            Err(e) => said(&e, Language::Ja),
        }
    }

    #[test]
    fn a_refused_command_line_is_said_in_plain_japanese_first() {
        assert!(
            refused(&["--frobnicate", "run"])
                .starts_with("--frobnicate というオプションはありません。"),
            "{}",
            refused(&["--frobnicate", "run"])
        );
        assert!(refused(&["frobnicate"]).starts_with("frobnicate というコマンドはありません。"));
        assert!(refused(&[]).starts_with("コマンドを一つ指定してください"));
        assert!(
            refused(&["acks", "--since"]).starts_with("--since <SINCE> の値が書かれていません。")
        );
        assert!(refused(&["outbox", "retry", "x"]).starts_with("[ID] に x は使えません。"));
        for args in [&["frobnicate"][..], &["acks", "--since"], &[]] {
            let said = refused(args);
            assert!(said.ends_with("で確かめられます。"), "{said}");
        }
    }
}
