//! Whom each configured recipient reaches, judged against the staff
//! directory and the recorded groups without the network: `check-config`
//! refuses a name that is close to a known one but not it ("did you mean
//! 佐藤 花子?"), and warns of names nobody has been linked under yet;
//! `doctor` lists what each rule reaches right now.

use super::{words, Check};
use crate::config::rules::Recipient;
use crate::config::setup::Setup;
use crate::store::directory::Directory;
use crate::text::Language;

/// `doctor`'s check: each rule with whom it reaches right now. Fails when a
/// recipient is wrong or a rule reaches nobody.
pub fn check(setup: &Setup) -> Check {
    let (dir, lang) = (&setup.config.state_dir, setup.config.language);
    let (directory, note) = match crate::store::directory::read_only(dir, crate::clock::now_ms()) {
        Ok(Some(d)) => (d, None),
        Ok(None) => (Directory::default(), Some(words::NO_DIRECTORY.in_(lang))),
        Err(_) => (
            Directory::default(),
            Some(words::DIRECTORY_UNREADABLE.in_(lang)),
        ),
    };
    let mut lines = Vec::new();
    let mut ok = true;
    for rule in &setup.rules {
        let found: Vec<Finding> = rule
            .recipients
            .iter()
            .map(|r| judge(r, &directory, lang))
            .collect();
        let reaches: Vec<&str> = found
            .iter()
            .filter_map(|f| match f {
                Finding::Reaches(w) => Some(w.as_str()),
                _ => None,
            })
            .collect();
        let trouble = found.iter().filter_map(|f| match f {
            Finding::Warning(w) | Finding::Problem(w) => Some(w.as_str()),
            Finding::Reaches(_) => None,
        });
        ok &= !reaches.is_empty() && !found.iter().any(|f| matches!(f, Finding::Problem(_)));
        let now = if reaches.is_empty() {
            words::NOBODY.in_(lang).to_owned()
        } else {
            reaches.join("; ")
        };
        let args = [("rule", rule.name.as_str()), ("now", &now)];
        lines.push(words::RULE_REACHES.fill(lang, &args));
        lines.extend(trouble.map(|t| format!("  {t}")));
    }
    let n = setup.rules.len().to_string();
    let mut detail = words::RULES_COUNT.fill(lang, &[("n", &n)]);
    if let Some(note) = note {
        detail = words::WITH_NOTE.fill(lang, &[("detail", &detail), ("note", note)]);
    }
    for l in lines {
        detail.push_str("\n       ");
        detail.push_str(&l);
    }
    let name = words::NAME_RECIPIENTS.in_(lang);
    if ok {
        Check::pass(name, detail)
    } else {
        Check::fail(name, detail)
    }
}

/// What one recipient comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// It reaches someone: what, for `doctor`.
    Reaches(String),
    /// It reaches nobody yet, and how to change that.
    Warning(String),
    /// It is wrong (misspelled, a group the bot left): exit 64.
    Problem(String),
}

/// Every recipient of every rule, `[notify_api]` token and `[notify]
/// fallback`, with its key, said in the config's language.
pub fn judge_setup(setup: &Setup, d: &Directory) -> Vec<(String, Finding)> {
    let rules = setup.rules.iter().enumerate().flat_map(|(i, r)| {
        r.recipients
            .iter()
            .enumerate()
            .map(move |(j, x)| (format!("rules[{i}].recipients[{j}]"), x))
    });
    let tokens = setup
        .notify_api
        .tokens
        .iter()
        .enumerate()
        .flat_map(|(i, t)| {
            t.to.iter()
                .enumerate()
                .map(move |(j, x)| (format!("notify_api.tokens[{i}].to[{j}]"), x))
        });
    let fallback = setup
        .outbox
        .fallback
        .iter()
        .enumerate()
        .map(|(j, x)| (format!("notify.fallback[{j}]"), x));
    let lang = setup.config.language;
    rules
        .chain(tokens)
        .chain(fallback)
        .map(|(key, r)| (key, judge(r, d, lang)))
        .collect()
}

/// What `r` reaches in `d`, said in `lang`.
pub fn judge(r: &Recipient, d: &Directory, lang: Language) -> Finding {
    match r {
        Recipient::Staff(name) => staff(name, d, lang),
        Recipient::KintoneUser(code) => kintone_user(code, d, lang),
        Recipient::GroupName(name) => group(name, d, lang),
        Recipient::Field(f) => Finding::Reaches(words::REACHES_FIELD.fill(lang, &[("field", f)])),
        Recipient::User(u) => {
            Finding::Reaches(words::REACHES_USER.fill(lang, &[("id", u.as_str())]))
        }
        Recipient::Group(g) => {
            Finding::Reaches(words::REACHES_GROUP_ID.fill(lang, &[("id", g.as_str())]))
        }
    }
}

fn staff(name: &str, d: &Directory, lang: Language) -> Finding {
    let said = |w: &crate::text::said::Said| w.fill(lang, &[("name", name)]);
    if d.linked.iter().any(|(n, _)| n == name) {
        return Finding::Reaches(said(&words::REACHES_LINKED));
    }
    if d.invited.iter().any(|(n, _)| n == name) {
        let who = format!("{name:?}");
        return Finding::Warning(words::INVITED_NOT_LINKED.fill(lang, &[("who", &who)]));
    }
    // A kintone user code names its person too ("Hanako Sato" ~ hanako.sato).
    let known = d.linked.iter().chain(&d.invited).flat_map(|(n, code)| {
        std::iter::once((n.as_str(), n.as_str())).chain(code.as_deref().map(|c| (c, n.as_str())))
    });
    match nearest(name, known) {
        Some(n) => {
            Finding::Problem(words::NO_STAFF_NEAR.fill(lang, &[("name", name), ("near", &n)]))
        }
        None => Finding::Warning(said(&words::NO_STAFF_YET)),
    }
}

fn kintone_user(code: &str, d: &Directory, lang: Language) -> Finding {
    let has = |list: &[(String, Option<String>)]| {
        list.iter()
            .find(|(_, c)| c.as_deref() == Some(code))
            .map(|(n, _)| n.clone())
    };
    if let Some(n) = has(&d.linked) {
        let args = [("name", n.as_str()), ("code", code)];
        return Finding::Reaches(words::REACHES_KINTONE_LINKED.fill(lang, &args));
    }
    if has(&d.invited).is_some() {
        let who = format!("kintone:{code}");
        return Finding::Warning(words::INVITED_NOT_LINKED.fill(lang, &[("who", &who)]));
    }
    let known = d
        .linked
        .iter()
        .chain(&d.invited)
        .filter_map(|(_, c)| c.as_deref().map(|c| (c, c)));
    match nearest(code, known) {
        Some(c) => {
            let args = [("code", code), ("near", c.as_str())];
            Finding::Problem(words::NO_KINTONE_USER_NEAR.fill(lang, &args))
        }
        None => Finding::Warning(words::NO_KINTONE_USER_YET.fill(lang, &[("code", code)])),
    }
}

fn group(name: &str, d: &Directory, lang: Language) -> Finding {
    if let Some((_, id)) = d.groups.iter().find(|(n, _)| n == name) {
        let args = [("name", name), ("id", id.as_str())];
        return Finding::Reaches(words::REACHES_GROUP.fill(lang, &args));
    }
    if d.left.iter().any(|n| n == name) {
        return Finding::Problem(words::GROUP_LEFT.fill(lang, &[("name", name)]));
    }
    let known = d.groups.iter().map(|(n, _)| (n.as_str(), n.as_str()));
    match nearest(name, known) {
        Some(n) => {
            Finding::Problem(words::NO_GROUP_NEAR.fill(lang, &[("name", name), ("near", &n)]))
        }
        None => Finding::Warning(words::NO_GROUP_YET.fill(lang, &[("name", name)])),
    }
}

/// The known name (second of each pair) whose spelling (first) is nearest
/// to `typed`, if near enough to be what was meant: case, spaces, dots and
/// word order do not count, and a few letters may differ.
fn nearest<'a>(typed: &str, known: impl Iterator<Item = (&'a str, &'a str)>) -> Option<String> {
    let want = forms(typed);
    let limit = (squash(typed).chars().count() / 4).max(1);
    known
        .filter_map(|(spelling, name)| {
            let have = forms(spelling);
            let d = want
                .iter()
                .flat_map(|w| have.iter().map(move |h| distance(w, h)))
                .min()?;
            (d <= limit).then(|| (d, name.to_owned()))
        })
        .min()
        .map(|(_, n)| n)
}

/// Lowercase, without spaces and punctuation.
fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The squashed name in its word order and reversed ("Sato Hanako").
fn forms(s: &str) -> Vec<String> {
    let words: Vec<&str> = s
        .split(|c: char| c.is_whitespace() || matches!(c, '.' | '_' | '-' | '・' | '　'))
        .filter(|w| !w.is_empty())
        .collect();
    let reversed: String = words.iter().rev().map(|w| squash(w)).collect();
    vec![squash(s), reversed]
}

/// Levenshtein distance over characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(here + 1);
            prev = here;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directory() -> Directory {
        Directory {
            linked: vec![("佐藤 花子".into(), Some("hanako.sato".into()))],
            invited: vec![("Taro Yamada".into(), None)],
            groups: vec![("Office".into(), "C3333333333333333333333333333cccc".into())],
            left: vec!["Old team".into()],
        }
    }

    fn problem(f: Finding) -> String {
        match f {
            Finding::Problem(p) => p,
            other => panic!("not a problem: {other:?}"),
        }
    }

    #[test]
    fn a_misspelling_is_a_problem_with_the_nearest_name() {
        let d = directory();
        let p = problem(judge(
            &Recipient::Staff("Hanako Sato".into()),
            &d,
            Language::En,
        ));
        assert!(p.ends_with("did you mean 佐藤 花子?"), "{p}");
        let p = problem(judge(
            &Recipient::Staff("Taro Yamda".into()),
            &d,
            Language::En,
        ));
        assert!(p.ends_with("did you mean Taro Yamada?"), "{p}");
        let p = problem(judge(
            &Recipient::GroupName("Ofice".into()),
            &d,
            Language::En,
        ));
        assert!(p.ends_with("did you mean group:Office?"), "{p}");
        let p = problem(judge(
            &Recipient::KintoneUser("hanako.satou".into()),
            &d,
            Language::En,
        ));
        assert!(p.ends_with("did you mean kintone:hanako.sato?"), "{p}");
        let p = problem(judge(
            &Recipient::GroupName("Old team".into()),
            &d,
            Language::En,
        ));
        assert!(p.contains("left"), "{p}");
    }

    #[test]
    fn known_names_reach_and_unlinked_ones_are_warnings_saying_how() {
        let d = directory();
        assert!(matches!(
            judge(&Recipient::Staff("佐藤 花子".into()), &d, Language::En),
            Finding::Reaches(_)
        ));
        assert!(matches!(
            judge(
                &Recipient::KintoneUser("hanako.sato".into()),
                &d,
                Language::En
            ),
            Finding::Reaches(_)
        ));
        assert!(matches!(
            judge(&Recipient::GroupName("Office".into()), &d, Language::En),
            Finding::Reaches(_)
        ));
        let Finding::Warning(w) = judge(&Recipient::Staff("Taro Yamada".into()), &d, Language::En)
        else {
            panic!("an invited name is a warning");
        };
        assert!(w.contains("not linked yet"), "{w}");
        let Finding::Warning(w) = judge(&Recipient::Staff("鈴木 一郎".into()), &d, Language::En)
        else {
            panic!("a new name is a warning");
        };
        assert!(w.contains("staff invite \"鈴木 一郎\""), "{w}");
    }

    #[test]
    fn findings_are_said_in_the_language() {
        let d = directory();
        let p = problem(judge(
            &Recipient::GroupName("Ofice".into()),
            &d,
            Language::Ja,
        ));
        assert_eq!(
            p,
            "「Ofice」というグループはありません。group:Office のまちがいではありませんか？"
        );
    }

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("office", "ofice"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("佐藤花子", "佐藤花"), 1);
    }
}
