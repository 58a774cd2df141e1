//! A command line clap refused, said in plain words: no config has been
//! read yet, so in Japanese (the default language). clap's English message
//! is not printed; what it knows (the suggestion, the values that can be
//! given, the usage) is said here in the same language. Only a refusal
//! these words do not cover keeps clap's reason, in brackets.

use clap::error::{ContextKind, ContextValue, ErrorKind};

use super::words;
use crate::text::Language;

/// What is printed for a refused command line: the reason, what clap
/// suggests instead, the values or commands that can be given, the
/// command's usage and where its help is.
pub(super) fn said(e: &clap::Error, language: Language) -> String {
    let mut lines = vec![reason(e, language)];
    // clap lists its suggestions the likeliest last.
    let suggested = [ContextKind::SuggestedSubcommand, ContextKind::SuggestedArg]
        .into_iter()
        .find_map(|kind| match e.get(kind)? {
            ContextValue::Strings(names) => Some(names.iter().rev().cloned().collect::<Vec<_>>()),
            ContextValue::String(name) => Some(vec![name.clone()]),
            _ => None,
        })
        .map(|names| names.join(", "));
    if let Some(names) = suggested {
        lines.push(words::USAGE_DID_YOU_MEAN.fill(language, &[("names", &names)]));
    }
    if let Some(ContextValue::StyledStrs(tips)) = e.get(ContextKind::Suggested) {
        for tip in tips {
            let tip = tip_in(&tip.to_string(), language);
            lines.push(words::USAGE_TIP.fill(language, &[("tip", &tip)]));
        }
    }
    if let Some(values) = context(e, ContextKind::ValidValue) {
        lines.push(words::USAGE_VALUES.fill(language, &[("values", &values)]));
    }
    if let Some(names) = context(e, ContextKind::ValidSubcommand) {
        lines.push(words::USAGE_COMMANDS.fill(language, &[("names", &names)]));
    }
    if let Some(usage) = context(e, ContextKind::Usage) {
        let usage = usage.trim();
        let usage = usage.strip_prefix("Usage:").unwrap_or(usage).trim_start();
        lines.push(words::USAGE_LINE.fill(language, &[("usage", usage)]));
    }
    lines.push(words::USAGE_HELP.in_(language).to_owned());
    lines.join("\n")
}

/// The first line: what is wrong, in plain words.
fn reason(e: &clap::Error, language: Language) -> String {
    let arg =
        context(e, ContextKind::InvalidArg).or_else(|| context(e, ContextKind::InvalidSubcommand));
    match (e.kind(), arg) {
        (ErrorKind::UnknownArgument, Some(arg)) if arg.starts_with('-') => {
            words::USAGE_UNKNOWN_ARGUMENT.fill(language, &[("arg", &arg)])
        }
        (ErrorKind::UnknownArgument, Some(arg)) => {
            words::USAGE_UNEXPECTED.fill(language, &[("arg", &arg)])
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
            match nested_command(e) {
                Some(command) => {
                    words::USAGE_NO_SUBCOMMAND.fill(language, &[("command", &command)])
                }
                None => words::USAGE_NO_COMMAND.in_(language).to_owned(),
            }
        }
        (ErrorKind::ArgumentConflict, Some(arg)) => match context(e, ContextKind::PriorArg) {
            Some(other) if other != arg => {
                words::USAGE_CONFLICT.fill(language, &[("arg", &arg), ("other", &other)])
            }
            _ => words::USAGE_TWICE.fill(language, &[("arg", &arg)]),
        },
        (ErrorKind::TooManyValues, Some(arg)) => match context(e, ContextKind::InvalidValue) {
            Some(value) => {
                words::USAGE_EXTRA_VALUE.fill(language, &[("arg", &arg), ("value", &value)])
            }
            None => other(e, language),
        },
        _ => other(e, language),
    }
}

/// For a command that needs one of its own (`store`): the command line up
/// to it, read off the usage line of the help clap shows with the error.
/// `None` at the top level.
fn nested_command(e: &clap::Error) -> Option<String> {
    let rendered = e.render().to_string();
    let usage = rendered
        .lines()
        .find_map(|l| l.trim().strip_prefix("使い方（Usage）:"))
        .or_else(|| {
            rendered
                .lines()
                .find_map(|l| l.trim().strip_prefix("Usage:"))
        })?;
    let words: Vec<&str> = usage
        .split_whitespace()
        .take_while(|w| !w.starts_with(['[', '<']))
        .collect();
    (words.len() > 1).then(|| words.join(" "))
}

/// One of clap's tips, in `language` where its shape is known; as clap
/// wrote it otherwise.
fn tip_in(tip: &str, language: Language) -> String {
    let quoted = |s: &str| s.trim_matches('\'').to_owned();
    if let Some(rest) = tip.strip_prefix("to pass ") {
        if let Some((arg, how)) = rest.split_once(" as a value, use ") {
            let (arg, how) = (quoted(arg), quoted(how));
            return words::USAGE_TIP_AS_VALUE.fill(language, &[("arg", &arg), ("how", &how)]);
        }
    }
    if let Some(line) = tip.strip_suffix(" exists") {
        return words::USAGE_TIP_EXISTS.fill(language, &[("line", &quoted(line))]);
    }
    tip.to_owned()
}

/// A refusal this module has no words for: clap's own reason, in brackets.
fn other(e: &clap::Error, language: Language) -> String {
    let rendered = e.render().to_string();
    let detail = rendered
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .trim()
        .trim_start_matches("error:")
        .trim();
    words::USAGE_OTHER.fill(language, &[("detail", detail)])
}

/// One piece of the error's context as text (several joined with ", "),
/// if it says anything.
fn context(e: &clap::Error, kind: ContextKind) -> Option<String> {
    let text = match e.get(kind)? {
        ContextValue::String(s) => s.clone(),
        ContextValue::Strings(list) => list.join(", "),
        other => other.to_string(),
    };
    Some(text).filter(|t| !t.trim().is_empty())
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

    /// What clap knows besides the reason (its suggestion, the values that
    /// can be given, the usage) is said in the same language, and none of
    /// its English is left.
    #[test]
    fn the_suggestion_values_and_usage_are_said_too() {
        let typo = refused(&["ackss"]);
        assert!(typo.contains("\nもしかして：acks, backup\n"), "{typo}");
        assert!(
            typo.contains("\n使い方（Usage）: kintone-line-gateway [OPTIONS] <COMMAND>\n"),
            "{typo}"
        );
        let option = refused(&["acks", "--jsn"]);
        assert!(option.contains("もしかして：--json"), "{option}");
        assert!(
            option.contains("使い方（Usage）: kintone-line-gateway acks"),
            "{option}"
        );
        let lang = refused(&["demo", "--lang", "fr"]);
        assert!(
            lang.starts_with("--lang <LANG> に fr は使えません。"),
            "{lang}"
        );
        assert!(lang.contains("\n使える値：ja, en\n"), "{lang}");
        let twice = refused(&["outbox", "retry", "3", "--all"]);
        assert!(
            twice.starts_with("--all と [ID] は一緒には使えません。")
                || twice.starts_with("[ID] と --all は一緒には使えません。"),
            "{twice}"
        );
        for said in [typo, option, lang, twice] {
            for english in [
                "error:",
                "tip:",
                "Usage:",
                "For more information",
                "possible values",
            ] {
                assert!(!said.contains(english), "{english}: {said}");
            }
        }
        assert!(refused(&["--frobnicate"]).ends_with("で確かめられます。"));
        // clap's tips, in the same words.
        let early = refused(&["--json", "acks"]);
        assert!(
            early.contains("\nヒント：acks --json なら使えます\n"),
            "{early}"
        );
        let dash = refused(&["send", "--to", "x", "-y"]);
        assert!(dash.contains("を値として渡すなら"), "{dash}");
        // A command that needs one of its own says so, not `run`.
        let store = refused(&["store"]);
        assert!(
            store.starts_with(
                "kintone-line-gateway store のあとに、下のコマンドを一つ書いてください。"
            ),
            "{store}"
        );
        assert!(refused(&[]).starts_with("コマンドを一つ指定してください（サービスとして"));
        let extra = refused(&["run", "extra"]);
        assert!(
            extra.starts_with("extra は、ここには書けません。\n"),
            "{extra}"
        );
        let empty = refused(&["acks", "--since"]);
        assert!(!empty.contains("使える値"), "{empty}");
        let en = {
            let line = ["kintone-line-gateway", "ackss"];
            match super::super::command().try_get_matches_from(line) {
                Ok(_) => panic!("parsed"),
                Err(e) => said(&e, Language::En),
            }
        };
        assert!(
            en.starts_with("There is no command ackss.\nDid you mean acks, backup?\nUsage: "),
            "{en}"
        );
    }
}
