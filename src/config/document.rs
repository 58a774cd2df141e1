//! The config file as text: parsed once, keeping where each key was written,
//! so every problem — a TOML syntax error with `line:column` and the
//! offending line, or a value the sections refused — says its line, and the
//! list reads in the order of the file.
//!
//! A syntax error does not stop the reading: the parser recovers what it can,
//! and the sections still check the rest, so one round lists every mistake.

use std::collections::HashMap;

use serde::Deserialize;
use toml::de::{DeTable, DeValue};
use toml::{Spanned, Table};

use super::reader::{join, Place, Problem};
use crate::text::Language;

/// The parsed file: the table the sections read, and the line of each key.
#[derive(Debug)]
pub struct Document {
    pub table: Table,
    /// What the file's `language` says, even past syntax errors (Japanese
    /// when it names none): its problems are said in it.
    pub language: Language,
    /// Syntax errors, already placed.
    pub syntax: Vec<Problem>,
    /// Key path (`kintone.apps[0].id`) → line (1-based).
    lines: HashMap<String, usize>,
}

impl Document {
    /// Parses `text`, recovering past syntax errors.
    pub fn parse(text: &str) -> Document {
        let (doc, errors) = DeTable::parse_recoverable(text);
        let mut lines = HashMap::new();
        index_table(text, doc.get_ref(), "", &mut lines);
        let table = Table::deserialize(toml::de::Deserializer::from(doc)).unwrap_or_default();
        let language = super::language_in(&table);
        // The parser's recovery reports the same mistake again further along
        // its line: the first on each line is the one to fix.
        let mut syntax: Vec<Problem> = Vec::new();
        for p in errors.iter().map(|e| syntax_problem(text, e, language)) {
            if !syntax
                .iter()
                .any(|s| s.place.map(|a| a.line) == p.place.map(|a| a.line))
            {
                syntax.push(p);
            }
        }
        Document {
            table,
            language,
            syntax,
            lines,
        }
    }

    /// Gives each problem the line of its key (or of the nearest enclosing
    /// key written in the file) and puts them in the order of the file;
    /// problems about nothing written (a missing section) come last. A value
    /// on a line with a syntax error is the parser's guess, so what the
    /// sections said of it is dropped: the syntax error is the one to fix.
    pub fn place(&self, problems: &mut Vec<Problem>) {
        let broken: Vec<usize> = self
            .syntax
            .iter()
            .filter_map(|p| p.place)
            .map(|at| at.line)
            .collect();
        problems.retain(|p| {
            p.place.is_some() || self.lines.get(&p.key).is_none_or(|l| !broken.contains(l))
        });
        for p in problems.iter_mut().filter(|p| p.place.is_none()) {
            p.place = self
                .line_of(&p.key)
                .map(|line| Place { line, column: None });
        }
        // On one line, a syntax error first: it may be why a value is missing.
        problems.sort_by_key(|p| {
            p.place.map_or((usize::MAX, true, None), |at| {
                (at.line, at.column.is_none(), at.column)
            })
        });
    }

    fn line_of(&self, key: &str) -> Option<usize> {
        let mut key = key;
        loop {
            if let Some(line) = self.lines.get(key) {
                return Some(*line);
            }
            key = &key[..key.rfind(['.', '['])?];
        }
    }
}

fn index_table(text: &str, t: &DeTable<'_>, prefix: &str, lines: &mut HashMap<String, usize>) {
    for (k, v) in t {
        let path = join(prefix, k.get_ref());
        lines.insert(path.clone(), line_at(text, k.span().start).0);
        index_value(text, v, &path, lines);
    }
}

fn index_value(
    text: &str,
    v: &Spanned<DeValue<'_>>,
    path: &str,
    lines: &mut HashMap<String, usize>,
) {
    match v.get_ref() {
        DeValue::Table(t) => index_table(text, t, path, lines),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let p = format!("{path}[{i}]");
                lines.insert(p.clone(), line_at(text, item.span().start).0);
                index_value(text, item, &p, lines);
            }
        }
        _ => {}
    }
}

/// Line and column (both 1-based, the column in characters) of byte `at`.
fn line_at(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let before = text.get(..at).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

fn syntax_problem(text: &str, e: &toml::de::Error, language: Language) -> Problem {
    let at = e.span().map_or(0, |s| s.start);
    let (line, column) = line_at(text, at);
    let source = text.lines().nth(line - 1).unwrap_or("").trim_end();
    Problem {
        key: String::new(),
        message: format!(
            "{}\n        | {source}",
            super::words::NOT_TOML.fill(language, &[("e", e.message().trim_end())])
        ),
        place: Some(Place {
            line,
            column: Some(column),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_know_their_lines_and_problems_sort_by_them() {
        let text = "a = 1\n[s]\nb = 2\n\n[[arr]]\nc = 3\n[[arr]]\nc = 4\n";
        let d = Document::parse(text);
        assert!(d.syntax.is_empty());
        let p = |key: &str| Problem {
            key: key.into(),
            message: String::new(),
            place: None,
        };
        let mut problems = vec![p("arr[1].c"), p("s.b"), p("s.zz"), p("a"), p("")];
        d.place(&mut problems);
        let got: Vec<_> = problems
            .iter()
            .map(|p| (p.key.as_str(), p.place.map(|at| at.line)))
            .collect();
        assert_eq!(
            got,
            [
                ("a", Some(1)),
                ("s.zz", Some(2)),
                ("s.b", Some(3)),
                ("arr[1].c", Some(8)),
                ("", None),
            ]
        );
    }

    #[test]
    fn a_syntax_error_has_line_column_and_the_line_and_the_rest_still_parses() {
        let text = "a = 1\nt = { x = 1 y = 2 }\nb = \"ok\"\n";
        let d = Document::parse(text);
        assert_eq!(d.syntax.len(), 1, "{:?}", d.syntax);
        let at = d.syntax[0].place.expect("placed");
        assert_eq!(at.line, 2);
        assert!(d.syntax[0].message.contains("t = { x = 1 y = 2 }"));
        assert_eq!(d.table.get("b").and_then(|v| v.as_str()), Some("ok"));
    }
}
