//! Whom each configured recipient reaches, judged against the staff
//! directory and the recorded groups without the network: `check-config`
//! refuses a name that is close to a known one but not it ("did you mean
//! 佐藤 花子?"), and warns of names nobody has been linked under yet;
//! `doctor` lists what each rule reaches right now.

use super::Check;
use crate::config::rules::Recipient;
use crate::config::setup::Setup;
use crate::store::directory::Directory;

/// `doctor`'s check: each rule with whom it reaches right now. Fails when a
/// recipient is wrong or a rule reaches nobody.
pub fn check(setup: &Setup) -> Check {
    let dir = &setup.config.state_dir;
    let (directory, note) = match crate::store::directory::read_only(dir, crate::clock::now_ms()) {
        Ok(Some(d)) => (d, None),
        Ok(None) => (Directory::default(), Some("no staff directory yet: names and groups reach nobody until the daemon has run and staff are linked")),
        Err(_) => (Directory::default(), Some("the staff directory cannot be read: names and groups not checked")),
    };
    let mut lines = Vec::new();
    let mut ok = true;
    for rule in &setup.rules {
        let found: Vec<Finding> = rule
            .recipients
            .iter()
            .map(|r| judge(r, &directory))
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
            "NOBODY".to_owned()
        } else {
            reaches.join("; ")
        };
        lines.push(format!("rule {:?} reaches {now}", rule.name));
        lines.extend(trouble.map(|t| format!("  {t}")));
    }
    let mut detail = format!("{} rule(s)", setup.rules.len());
    if let Some(n) = note {
        detail.push_str(&format!(" ({n})"));
    }
    for l in lines {
        detail.push_str("\n       ");
        detail.push_str(&l);
    }
    if ok {
        Check::pass("recipients", detail)
    } else {
        Check::fail("recipients", detail)
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
/// fallback`, with its key.
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
    rules
        .chain(tokens)
        .chain(fallback)
        .map(|(key, r)| (key, judge(r, d)))
        .collect()
}

/// What `r` reaches in `d`.
pub fn judge(r: &Recipient, d: &Directory) -> Finding {
    match r {
        Recipient::Staff(name) => staff(name, d),
        Recipient::KintoneUser(code) => kintone_user(code, d),
        Recipient::GroupName(name) => group(name, d),
        Recipient::Field(f) => {
            Finding::Reaches(format!("the linked people in field {f:?} of each record"))
        }
        Recipient::User(u) => Finding::Reaches(format!("LINE user {}", u.as_str())),
        Recipient::Group(g) => Finding::Reaches(format!("LINE group {}", g.as_str())),
    }
}

fn invite_hint(name: &str) -> String {
    format!("link them with `kintone-line-gateway staff invite \"{name}\"` (they friend the bot and send the code)")
}

fn staff(name: &str, d: &Directory) -> Finding {
    if d.linked.iter().any(|(n, _)| n == name) {
        return Finding::Reaches(format!("{name} (linked)"));
    }
    if d.invited.iter().any(|(n, _)| n == name) {
        return Finding::Warning(format!(
            "{name:?} is invited but not linked yet: reaches nobody until they send their code in LINE"
        ));
    }
    // A kintone user code names its person too ("Hanako Sato" ~ hanako.sato).
    let known = d.linked.iter().chain(&d.invited).flat_map(|(n, code)| {
        std::iter::once((n.as_str(), n.as_str())).chain(code.as_deref().map(|c| (c, n.as_str())))
    });
    match nearest(name, known) {
        Some(n) => Finding::Problem(format!(
            "no staff member is called {name:?}; did you mean {n}?"
        )),
        None => Finding::Warning(format!(
            "no staff member is called {name:?} yet: {}",
            invite_hint(name)
        )),
    }
}

fn kintone_user(code: &str, d: &Directory) -> Finding {
    let has = |list: &[(String, Option<String>)]| {
        list.iter()
            .find(|(_, c)| c.as_deref() == Some(code))
            .map(|(n, _)| n.clone())
    };
    if let Some(n) = has(&d.linked) {
        return Finding::Reaches(format!("{n} (kintone:{code}, linked)"));
    }
    if has(&d.invited).is_some() {
        return Finding::Warning(format!(
            "kintone:{code} is invited but not linked yet: reaches nobody until they send their code in LINE"
        ));
    }
    let known = d
        .linked
        .iter()
        .chain(&d.invited)
        .filter_map(|(_, c)| c.as_deref().map(|c| (c, c)));
    match nearest(code, known) {
        Some(c) => Finding::Problem(format!("no staff member has kintone user {code:?}; did you mean kintone:{c}?")),
        None => Finding::Warning(format!(
            "no staff member has kintone user {code:?} yet: link them with `kintone-line-gateway staff invite NAME --kintone-user {code}`"
        )),
    }
}

fn group(name: &str, d: &Directory) -> Finding {
    if let Some((_, id)) = d.groups.iter().find(|(n, _)| n == name) {
        return Finding::Reaches(format!("group {name} ({id})"));
    }
    if d.left.iter().any(|n| n == name) {
        return Finding::Problem(format!(
            "the bot has left group {name:?}: invite it back into the LINE group"
        ));
    }
    let known = d.groups.iter().map(|(n, _)| (n.as_str(), n.as_str()));
    match nearest(name, known) {
        Some(n) => Finding::Problem(format!("no group is called {name:?}; did you mean group:{n}?")),
        None => Finding::Warning(format!(
            "no group called {name:?} is recorded yet: invite the bot into the LINE group (its name is recorded when it joins)"
        )),
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
        let p = problem(judge(&Recipient::Staff("Hanako Sato".into()), &d));
        assert!(p.ends_with("did you mean 佐藤 花子?"), "{p}");
        let p = problem(judge(&Recipient::Staff("Taro Yamda".into()), &d));
        assert!(p.ends_with("did you mean Taro Yamada?"), "{p}");
        let p = problem(judge(&Recipient::GroupName("Ofice".into()), &d));
        assert!(p.ends_with("did you mean group:Office?"), "{p}");
        let p = problem(judge(&Recipient::KintoneUser("hanako.satou".into()), &d));
        assert!(p.ends_with("did you mean kintone:hanako.sato?"), "{p}");
        let p = problem(judge(&Recipient::GroupName("Old team".into()), &d));
        assert!(p.contains("left"), "{p}");
    }

    #[test]
    fn known_names_reach_and_unlinked_ones_are_warnings_saying_how() {
        let d = directory();
        assert!(matches!(
            judge(&Recipient::Staff("佐藤 花子".into()), &d),
            Finding::Reaches(_)
        ));
        assert!(matches!(
            judge(&Recipient::KintoneUser("hanako.sato".into()), &d),
            Finding::Reaches(_)
        ));
        assert!(matches!(
            judge(&Recipient::GroupName("Office".into()), &d),
            Finding::Reaches(_)
        ));
        let Finding::Warning(w) = judge(&Recipient::Staff("Taro Yamada".into()), &d) else {
            panic!("an invited name is a warning");
        };
        assert!(w.contains("not linked yet"), "{w}");
        let Finding::Warning(w) = judge(&Recipient::Staff("鈴木 一郎".into()), &d) else {
            panic!("a new name is a warning");
        };
        assert!(w.contains("staff invite \"鈴木 一郎\""), "{w}");
    }

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("office", "ofice"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("佐藤花子", "佐藤花"), 1);
    }
}
