//! A TOML walker that collects every problem with its key instead of stopping
//! at the first, so `check-config` can list them all at once.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::{Table, Value};

use super::words;
use crate::secret::{Rotation, Secret, SecretSource};
use crate::text::said::Said;
use crate::text::Language;

/// One thing wrong with the config, with the key it is about and, once
/// [`Document::place`](super::document::Document::place) has run, its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub key: String,
    pub message: String,
    pub place: Option<Place>,
}

/// Where in the file (1-based); syntax errors also know the column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub line: usize,
    pub column: Option<usize>,
}

/// In English, for logs (a person reads [`Problem::said`]).
impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.said(Language::En))
    }
}

impl Problem {
    /// The problem as a person reads it in `language`: where, the key, what.
    /// The line, column and key are as written; only the words around them
    /// are the language's.
    pub fn said(&self, language: Language) -> String {
        let (line, column) = match self.place {
            Some(Place { line, column }) => (line.to_string(), column.map(|c| c.to_string())),
            None => (String::new(), None),
        };
        let at = match (&self.place, column) {
            (Some(_), Some(c)) => {
                words::AT_LINE_COLUMN.fill(language, &[("line", &line), ("column", &c)])
            }
            (Some(_), None) => words::AT_LINE.fill(language, &[("line", &line)]),
            (None, _) => String::new(),
        };
        if self.key.is_empty() {
            format!("{at}{}", self.message)
        } else {
            let what = [
                ("key", self.key.as_str()),
                ("message", self.message.as_str()),
            ];
            format!("{at}{}", words::KEY_SAYS.fill(language, &what))
        }
    }

    /// A problem with `key`, placed later (by `Document::place`) if the key
    /// is in the file.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            key: key.into(),
            message: message.into(),
            place: None,
        }
    }

    /// A problem about the file as a whole (it cannot be read).
    pub fn whole_file(message: impl Into<String>) -> Problem {
        Problem {
            key: String::new(),
            message: message.into(),
            place: None,
        }
    }
}

/// Collects problems while values are read.
#[derive(Debug)]
pub struct Reader {
    pub problems: Vec<Problem>,
    /// Relative secret paths are resolved against this folder.
    pub base_dir: PathBuf,
    pub credentials_dir: Option<PathBuf>,
    /// The config's `language`, once read: the defaults of texts (comment
    /// and reply templates) come in it.
    pub language: Language,
}

/// Joins a key path: `line` + `api_base` → `line.api_base`.
pub fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

impl Reader {
    pub fn new(base_dir: &Path, credentials_dir: Option<PathBuf>) -> Self {
        Reader {
            problems: Vec::new(),
            base_dir: base_dir.to_owned(),
            credentials_dir,
            language: Language::default(),
        }
    }

    /// Records a problem.
    pub fn problem(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            key: key.into(),
            message: message.into(),
            place: None,
        });
    }

    /// Records a problem said by `words` in the config's language, its
    /// `{name}`s filled from `args`.
    pub fn said(&mut self, key: impl Into<String>, words: &Said, args: &[(&str, &str)]) {
        let message = words.fill(self.language, args);
        self.problem(key, message);
    }

    /// Reports keys of `table` that are not in `known` (typos must not pass
    /// silently), with the nearest known key when one is close.
    pub fn unknown_keys(&mut self, table: &Table, prefix: &str, known: &[&str]) {
        for k in table.keys() {
            if !known.contains(&k.as_str()) {
                let message = match nearest(k, known) {
                    Some(n) => {
                        let near = format!("{:?}", join(prefix, n));
                        words::UNKNOWN_KEY_NEAR.fill(self.language, &[("near", &near)])
                    }
                    None => words::UNKNOWN_KEY.fill(self.language, &[("known", &known.join(", "))]),
                };
                self.problem(join(prefix, k), message);
            }
        }
    }

    fn typed<'a, T>(
        &mut self,
        t: &'a Table,
        prefix: &str,
        key: &str,
        what: &Said,
        get: impl Fn(&'a Value) -> Option<T>,
    ) -> Option<T> {
        let v = t.get(key)?;
        let out = get(v);
        if out.is_none() {
            let found = words::kind(self.language, v.type_str());
            let what = [("what", what.in_(self.language)), ("found", found)];
            let message = words::EXPECTED.fill(self.language, &what);
            self.problem(join(prefix, key), message);
        }
        out
    }

    /// An optional string.
    pub fn opt_str(&mut self, t: &Table, prefix: &str, key: &str) -> Option<String> {
        self.typed(t, prefix, key, &words::KIND_STRING, |v| {
            v.as_str().map(str::to_owned)
        })
    }

    /// A required string.
    pub fn str(&mut self, t: &Table, prefix: &str, key: &str) -> Option<String> {
        let v = self.opt_str(t, prefix, key);
        if !t.contains_key(key) {
            self.problem(join(prefix, key), words::MISSING.in_(self.language));
        }
        v
    }

    /// An optional integer.
    pub fn opt_int(&mut self, t: &Table, prefix: &str, key: &str) -> Option<i64> {
        self.typed(t, prefix, key, &words::KIND_INTEGER, Value::as_integer)
    }

    /// An optional boolean.
    pub fn opt_bool(&mut self, t: &Table, prefix: &str, key: &str) -> Option<bool> {
        self.typed(t, prefix, key, &words::KIND_BOOLEAN, Value::as_bool)
    }

    /// An optional table.
    pub fn opt_table<'a>(&mut self, t: &'a Table, prefix: &str, key: &str) -> Option<&'a Table> {
        self.typed(t, prefix, key, &words::KIND_TABLE, Value::as_table)
    }

    /// An optional array of tables (`[[key]]`).
    pub fn tables<'a>(&mut self, t: &'a Table, prefix: &str, key: &str) -> Vec<&'a Table> {
        let Some(arr) = self.typed(t, prefix, key, &words::KIND_TABLES, Value::as_array) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, v) in arr.iter().enumerate() {
            match v.as_table() {
                Some(tab) => out.push(tab),
                None => {
                    let found = words::kind(self.language, v.type_str());
                    let what = [
                        ("what", words::KIND_TABLE.in_(self.language)),
                        ("found", found),
                    ];
                    let message = words::EXPECTED.fill(self.language, &what);
                    self.problem(format!("{}[{i}]", join(prefix, key)), message);
                }
            }
        }
        out
    }

    /// An optional array of strings.
    pub fn opt_strings(&mut self, t: &Table, prefix: &str, key: &str) -> Option<Vec<String>> {
        self.typed(t, prefix, key, &words::KIND_STRINGS, |v| {
            v.as_array()?
                .iter()
                .map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
    }

    /// An optional duration written like `"30s"`, `"2m"`, `"1h 30m"`, `"500ms"`.
    pub fn opt_duration(&mut self, t: &Table, prefix: &str, key: &str) -> Option<Duration> {
        let s = self.opt_str(t, prefix, key)?;
        match duration_in(&s, self.language) {
            Ok(d) => Some(d),
            Err(e) => {
                self.problem(join(prefix, key), e);
                None
            }
        }
    }

    /// A secret reference: `{ file = "…" }` or `{ credential = "…" }`, loaded
    /// now. A literal string is refused: secrets are never inline.
    pub fn secret(&mut self, t: &Table, prefix: &str, key: &str, required: bool) -> Option<Secret> {
        let full = join(prefix, key);
        let Some(v) = t.get(key) else {
            if required {
                self.problem(full, words::SECRET_MISSING.in_(self.language));
            }
            return None;
        };
        let source = self.secret_source(v, &full)?;
        match source.load(self.credentials_dir.as_deref()) {
            Ok(s) => Some(s),
            Err(e) => {
                self.problem(full, words::secret_error(self.language, &e));
                None
            }
        }
    }

    /// A secret that can be rotated: one reference, or during a rotation a
    /// list of two, `[new, old]`; both are loaded now.
    pub fn rotation(
        &mut self,
        t: &Table,
        prefix: &str,
        key: &str,
        required: bool,
    ) -> Option<Rotation> {
        let full = join(prefix, key);
        let Some(Value::Array(list)) = t.get(key) else {
            return self.secret(t, prefix, key, required).map(Rotation::one);
        };
        if list.is_empty() || list.len() > 2 {
            self.problem(full, words::ROTATION_COUNT.in_(self.language));
            return None;
        }
        let mut loaded = Vec::new();
        for (i, v) in list.iter().enumerate() {
            let at = format!("{full}[{i}]");
            let source = self.secret_source(v, &at)?;
            match source.load(self.credentials_dir.as_deref()) {
                Ok(s) => loaded.push(s),
                Err(e) => {
                    let message = words::secret_error(self.language, &e);
                    self.problem(at, message);
                }
            }
        }
        let mut loaded = loaded.into_iter();
        match (loaded.next(), loaded.next()) {
            (Some(new), Some(old)) if new == old => {
                self.problem(full, words::ROTATION_SAME.in_(self.language));
                None
            }
            (Some(new), Some(old)) => Some(Rotation::rotating(new, old)),
            (Some(new), None) if list.len() == 1 => Some(Rotation::one(new)),
            _ => None,
        }
    }

    /// Where a secret's `{ file }` or `{ credential }` table says to read it.
    fn secret_source(&mut self, v: &Value, full: &str) -> Option<SecretSource> {
        match v {
            Value::String(_) => {
                self.problem(full, words::SECRET_INLINE.in_(self.language));
                None
            }
            Value::Table(tab) => {
                self.unknown_keys(tab, full, &["file", "credential"]);
                match (tab.get("file"), tab.get("credential")) {
                    (Some(Value::String(f)), None) => {
                        Some(SecretSource::File(self.base_dir.join(f)))
                    }
                    (None, Some(Value::String(c))) if !c.contains('/') && !c.is_empty() => {
                        Some(SecretSource::Credential(c.clone()))
                    }
                    _ => {
                        self.problem(full, words::SECRET_ONE_OF.in_(self.language));
                        None
                    }
                }
            }
            other => {
                let found = words::kind(self.language, other.type_str());
                let message = words::SECRET_FOUND.fill(self.language, &[("found", found)]);
                self.problem(full, message);
                None
            }
        }
    }
}

/// The known key closest to `typo` (edit distance at most a third of its
/// length, at least 1), if any.
fn nearest<'a>(typo: &str, known: &[&'a str]) -> Option<&'a str> {
    let limit = (typo.chars().count() / 3).max(1);
    known
        .iter()
        .map(|k| (edit_distance(typo, k), *k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

/// Parses a friendly duration (`"30s"`, `"2m"`, `"1h 30m"`, `"500ms"`).
///
/// # Errors
/// A message saying what is expected.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    duration_in(s, Language::En)
}

/// [`parse_duration`], saying what is wrong in `language`.
///
/// # Errors
/// A message saying what is expected.
pub fn duration_in(s: &str, language: Language) -> Result<Duration, String> {
    let value = format!("{s:?}");
    let said = |w: &Said| w.fill(language, &[("value", &value)]);
    let d: jiff::SignedDuration = s.parse().map_err(|_| said(&words::NOT_DURATION))?;
    Duration::try_from(d).map_err(|_| said(&words::NEGATIVE_DURATION))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("-5s").is_err());
    }

    #[test]
    fn collects_problems_with_keys() {
        let t: Table = toml::from_str("a = 1\nb = \"x\"\nsec = \"inline\"\nzzz = 2").unwrap();
        let mut r = Reader::new(Path::new("/"), None);
        assert_eq!(r.opt_str(&t, "s", "a"), None);
        assert_eq!(r.str(&t, "s", "missing"), None);
        assert_eq!(r.secret(&t, "s", "sec", true), None);
        r.unknown_keys(&t, "s", &["a", "b", "sec"]);
        let keys: Vec<_> = r.problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["s.a", "s.missing", "s.sec", "s.zzz"]);
        assert!(!r.problems[2].message.contains("inline\""));
    }

    #[test]
    fn a_rotation_is_one_secret_or_new_and_old() {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in [("new", "s-new"), ("old", "s-old")] {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o600))
                .unwrap();
        }
        let t: Table = toml::from_str(
            "one = { file = \"new\" }\ntwo = [{ file = \"new\" }, { file = \"old\" }]\n\
             three = [{ file = \"new\" }, { file = \"old\" }, { file = \"old\" }]\n\
             same = [{ file = \"new\" }, { file = \"new\" }]\nlost = [{ file = \"new\" }, { file = \"gone\" }]",
        )
        .unwrap();
        let mut r = Reader::new(dir.path(), None);
        let one = r.rotation(&t, "", "one", true).unwrap();
        assert_eq!((one.current().expose(), one.previous()), ("s-new", None));
        let two = r.rotation(&t, "", "two", true).unwrap();
        assert_eq!(two.previous().map(Secret::expose), Some("s-old"));
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        for key in ["three", "same", "lost"] {
            assert!(r.rotation(&t, "", key, true).is_none(), "{key}");
        }
        let keys: Vec<_> = r.problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["three", "same", "lost[1]"]);
    }

    #[test]
    fn an_unknown_key_names_the_nearest_known_one() {
        let t: Table = toml::from_str("chanel_secret = 1\nzzzzzz = 2").unwrap();
        let mut r = Reader::new(Path::new("/"), None);
        r.language = Language::En;
        r.unknown_keys(&t, "line", &["channel_secret", "access_token"]);
        assert!(r.problems[0]
            .message
            .contains("did you mean \"line.channel_secret\"?"));
        assert!(r.problems[1]
            .message
            .contains("known here: channel_secret, access_token"));
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
