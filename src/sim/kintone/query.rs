//! kintone's query language (`records.json?query=`) as the fake reads it,
//! strictly where a gateway could get it wrong: field codes are bare words
//! (`ステータス in ("承認待ち")`; a quoted code is a syntax error), strings are
//! in double quotes with `"` and `\` escaped by a backslash, numbers are
//! bare, and a code the form does not have is refused. Conditions join with
//! `and` / `or` (and binds tighter) and parentheses; then `order by`,
//! `limit` (≤ 500) and `offset` (≤ 10,000). Functions (`NOW()`…) and
//! `is empty` are not needed by the gateway and are refused.

use std::cmp::Ordering;

use serde_json::Value;

/// Why kintone refuses a query (`400`, with this code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    /// `GAIA_IQ03`: the query does not parse.
    Syntax(String),
    /// `GAIA_IQ11`: a field code the app does not have.
    UnknownField(String),
    /// `GAIA_QU01`: limit or offset over kintone's maximum.
    Limit(String),
}

/// A parsed query.
#[derive(Debug)]
pub struct Query {
    filter: Option<Expr>,
    /// (field code, ascending).
    pub order: Vec<(String, bool)>,
    pub limit: usize,
    pub offset: usize,
}

#[derive(Debug)]
enum Expr {
    Cond {
        code: String,
        op: Op,
        values: Vec<Lit>,
    },
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    In,
    NotIn,
    Like,
    NotLike,
}

#[derive(Debug, Clone, PartialEq)]
enum Lit {
    Str(String),
    Num(f64),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Str(String),
    Sym(&'static str),
}

/// Parses `q`; `known` says whether the form has a field code.
///
/// # Errors
/// What kintone would refuse the query for.
pub fn parse(q: &str, known: &dyn Fn(&str) -> bool) -> Result<Query, QueryError> {
    let mut p = Parser {
        tokens: tokens(q)?,
        at: 0,
        known,
    };
    let filter = if p.peek_word().is_none_or(|w| !is_clause(&w)) && p.peek().is_some() {
        Some(p.expr()?)
    } else {
        None
    };
    let mut query = Query {
        filter,
        order: Vec::new(),
        limit: 100,
        offset: 0,
    };
    while let Some(word) = p.next_word() {
        match word.as_str() {
            "order" => query.order = p.order()?,
            "limit" => query.limit = p.count(500, "limit")?,
            "offset" => query.offset = p.count(10_000, "offset")?,
            other => return Err(QueryError::Syntax(format!("unexpected {other:?}"))),
        }
    }
    match p.peek() {
        None => Ok(query),
        Some(t) => Err(QueryError::Syntax(format!("unexpected {t:?}"))),
    }
}

fn is_clause(w: &str) -> bool {
    matches!(w, "order" | "limit" | "offset")
}

impl Query {
    /// Whether `record` (`{code: {type, value}}`) meets the conditions.
    pub fn matches(&self, record: &Value) -> bool {
        self.filter.as_ref().is_none_or(|e| e.matches(record))
    }

    /// Orders `records` by the `order by` clause.
    pub fn sort(&self, records: &mut [&Value]) {
        records.sort_by(|a, b| {
            for (code, asc) in &self.order {
                let o = compare(&a[code.as_str()]["value"], &b[code.as_str()]["value"]);
                let o = if *asc { o } else { o.reverse() };
                if o != Ordering::Equal {
                    return o;
                }
            }
            Ordering::Equal
        });
    }
}

impl Expr {
    fn matches(&self, record: &Value) -> bool {
        match self {
            Expr::And(a, b) => a.matches(record) && b.matches(record),
            Expr::Or(a, b) => a.matches(record) || b.matches(record),
            Expr::Cond { code, op, values } => cond(&record[code.as_str()]["value"], *op, values),
        }
    }
}

/// The strings a field's value stands for: itself, or each user's login name.
fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(|i| i["code"].as_str().or(i.as_str()).map(str::to_owned))
            .collect(),
        Value::Number(n) => vec![n.to_string()],
        _ => Vec::new(),
    }
}

fn cond(value: &Value, op: Op, lits: &[Lit]) -> bool {
    let have = strings(value);
    let eq = |l: &Lit| have.iter().any(|h| lit_cmp(h, l) == Some(Ordering::Equal));
    let ord = |l: &Lit, want: &[Ordering]| {
        have.iter()
            .any(|h| lit_cmp(h, l).is_some_and(|o| want.contains(&o)))
    };
    let Some(first) = lits.first() else {
        return false;
    };
    match op {
        Op::Eq => eq(first),
        Op::Ne => !eq(first),
        Op::In => lits.iter().any(eq),
        Op::NotIn => !lits.iter().any(eq),
        Op::Gt => ord(first, &[Ordering::Greater]),
        Op::Lt => ord(first, &[Ordering::Less]),
        Op::Ge => ord(first, &[Ordering::Greater, Ordering::Equal]),
        Op::Le => ord(first, &[Ordering::Less, Ordering::Equal]),
        Op::Like | Op::NotLike => {
            let Lit::Str(s) = first else { return false };
            have.iter().any(|h| h.contains(s.as_str())) == (op == Op::Like)
        }
    }
}

/// A stored value against a literal: numbers as numbers, strings as strings.
fn lit_cmp(have: &str, lit: &Lit) -> Option<Ordering> {
    match lit {
        Lit::Str(s) => Some(have.cmp(s)),
        Lit::Num(n) => have.parse::<f64>().ok()?.partial_cmp(n),
    }
}

fn compare(a: &Value, b: &Value) -> Ordering {
    let (a, b) = (strings(a).join(","), strings(b).join(","));
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        _ => a.cmp(&b),
    }
}

/// Splits a query into words, quoted strings and symbols.
fn tokens(q: &str) -> Result<Vec<Token>, QueryError> {
    let mut out = Vec::new();
    let mut chars = q.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            out.push(Token::Str(string(&mut chars)?));
        } else if let Some(sym) = symbol(&mut chars) {
            out.push(Token::Sym(sym));
        } else {
            let mut word = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || "\"()=!<>,".contains(c) {
                    break;
                }
                word.push(c);
                chars.next();
            }
            out.push(Token::Word(word));
        }
    }
    Ok(out)
}

/// The rest of a quoted string: `\"` and `\\` stand for `"` and `\`.
fn string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Result<String, QueryError> {
    let mut s = String::new();
    loop {
        match chars.next() {
            None => return Err(QueryError::Syntax("a string without its closing \"".into())),
            Some('"') => return Ok(s),
            Some('\\') => match chars.next() {
                Some(c @ ('"' | '\\')) => s.push(c),
                other => {
                    return Err(QueryError::Syntax(format!(
                        "\\{} is not an escape",
                        other.map(String::from).unwrap_or_default()
                    )))
                }
            },
            Some(c) => s.push(c),
        }
    }
}

fn symbol(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<&'static str> {
    let c = *chars.peek()?;
    let one = match c {
        '(' => "(",
        ')' => ")",
        ',' => ",",
        '=' => "=",
        '<' => "<",
        '>' => ">",
        '!' => "!",
        _ => return None,
    };
    chars.next();
    if matches!(one, "<" | ">" | "!") && chars.peek() == Some(&'=') {
        chars.next();
        return Some(match one {
            "<" => "<=",
            ">" => ">=",
            _ => "!=",
        });
    }
    Some(one)
}

struct Parser<'a> {
    tokens: Vec<Token>,
    at: usize,
    known: &'a dyn Fn(&str) -> bool,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn peek_word(&self) -> Option<String> {
        match self.peek() {
            Some(Token::Word(w)) => Some(w.to_lowercase()),
            _ => None,
        }
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn next_word(&mut self) -> Option<String> {
        let w = self.peek_word()?;
        self.at += 1;
        Some(w)
    }

    fn expect_word(&mut self, word: &str) -> Result<(), QueryError> {
        match self.next_word() {
            Some(w) if w == word => Ok(()),
            other => Err(QueryError::Syntax(format!(
                "expected {word}, found {other:?}"
            ))),
        }
    }

    fn expr(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.term()?;
        while self.peek_word().as_deref() == Some("or") {
            self.at += 1;
            left = Expr::Or(Box::new(left), Box::new(self.term()?));
        }
        Ok(left)
    }

    fn term(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.factor()?;
        while self.peek_word().as_deref() == Some("and") {
            self.at += 1;
            left = Expr::And(Box::new(left), Box::new(self.factor()?));
        }
        Ok(left)
    }

    fn factor(&mut self) -> Result<Expr, QueryError> {
        if self.peek() == Some(&Token::Sym("(")) {
            self.at += 1;
            let e = self.expr()?;
            return match self.next() {
                Some(Token::Sym(")")) => Ok(e),
                other => Err(QueryError::Syntax(format!("expected ), found {other:?}"))),
            };
        }
        let code = self.code()?;
        let op = self.op()?;
        let values = if matches!(op, Op::In | Op::NotIn) {
            self.list()?
        } else {
            vec![self.literal()?]
        };
        Ok(Expr::Cond { code, op, values })
    }

    /// A bare field code the form has.
    fn code(&mut self) -> Result<String, QueryError> {
        match self.next() {
            Some(Token::Word(w)) if (self.known)(&w) => Ok(w),
            Some(Token::Word(w)) => Err(QueryError::UnknownField(w)),
            other => Err(QueryError::Syntax(format!(
                "expected a field code, found {other:?}"
            ))),
        }
    }

    fn op(&mut self) -> Result<Op, QueryError> {
        let op = match self.next() {
            Some(Token::Sym("=")) => Op::Eq,
            Some(Token::Sym("!=")) => Op::Ne,
            Some(Token::Sym(">")) => Op::Gt,
            Some(Token::Sym("<")) => Op::Lt,
            Some(Token::Sym(">=")) => Op::Ge,
            Some(Token::Sym("<=")) => Op::Le,
            Some(Token::Word(w)) => match w.to_lowercase().as_str() {
                "in" => Op::In,
                "like" => Op::Like,
                "not" => match self.next_word().as_deref() {
                    Some("in") => Op::NotIn,
                    Some("like") => Op::NotLike,
                    other => return Err(QueryError::Syntax(format!("not {other:?}"))),
                },
                other => return Err(QueryError::Syntax(format!("unknown operator {other:?}"))),
            },
            other => {
                return Err(QueryError::Syntax(format!(
                    "expected an operator, found {other:?}"
                )))
            }
        };
        Ok(op)
    }

    /// `("a", "b")`.
    fn list(&mut self) -> Result<Vec<Lit>, QueryError> {
        if self.next() != Some(Token::Sym("(")) {
            return Err(QueryError::Syntax("in needs a list in parentheses".into()));
        }
        let mut values = vec![self.literal()?];
        loop {
            match self.next() {
                Some(Token::Sym(",")) => values.push(self.literal()?),
                Some(Token::Sym(")")) => return Ok(values),
                other => {
                    return Err(QueryError::Syntax(format!(
                        "expected , or ), found {other:?}"
                    )))
                }
            }
        }
    }

    /// A quoted string or a bare number; any other bare word is an error.
    fn literal(&mut self) -> Result<Lit, QueryError> {
        match self.next() {
            Some(Token::Str(s)) => Ok(Lit::Str(s)),
            Some(Token::Word(w)) => w
                .parse::<f64>()
                .map(Lit::Num)
                .map_err(|_| QueryError::Syntax(format!("{w:?} is neither a number nor quoted"))),
            other => Err(QueryError::Syntax(format!(
                "expected a value, found {other:?}"
            ))),
        }
    }

    fn order(&mut self) -> Result<Vec<(String, bool)>, QueryError> {
        self.expect_word("by")?;
        let mut order = Vec::new();
        loop {
            let code = self.code()?;
            let asc = match self.peek_word().as_deref() {
                Some("asc") => true,
                Some("desc") => false,
                _ => return Err(QueryError::Syntax("order by needs asc or desc".into())),
            };
            self.at += 1;
            order.push((code, asc));
            if self.peek() != Some(&Token::Sym(",")) {
                return Ok(order);
            }
            self.at += 1;
        }
    }

    fn count(&mut self, max: usize, what: &str) -> Result<usize, QueryError> {
        let n = match self.next() {
            Some(Token::Word(w)) => w
                .parse::<usize>()
                .map_err(|_| QueryError::Syntax(format!("{what} {w:?}")))?,
            other => return Err(QueryError::Syntax(format!("{what} {other:?}"))),
        };
        if n > max {
            return Err(QueryError::Limit(format!("{what} must be {max} or less.")));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn known(code: &str) -> bool {
        ["$id", "ステータス", "件名", "更新日時", "担当者"].contains(&code)
    }

    fn record(id: u64, status: &str, title: &str) -> Value {
        json!({
            "$id": {"type": "__ID__", "value": id.to_string()},
            "ステータス": {"type": "STATUS", "value": status},
            "件名": {"type": "SINGLE_LINE_TEXT", "value": title},
            "担当者": {"type": "USER_SELECT", "value": [{"code": "taro", "name": "山田 太郎"}]},
            "更新日時": {"type": "UPDATED_TIME", "value": "2026-11-25T09:01:00Z"}
        })
    }

    #[test]
    fn japanese_codes_values_and_escapes() {
        let q = parse(
            r#"ステータス in ("承認待ち", "確認済み") and 件名 = "屋根の\"雨漏り\" \\ 至急" order by $id desc limit 10"#,
            &known,
        )
        .unwrap();
        assert!(q.matches(&record(1, "承認待ち", r#"屋根の"雨漏り" \ 至急"#)));
        assert!(!q.matches(&record(1, "承認待ち", "屋根の雨漏り")));
        assert!(!q.matches(&record(1, "処理中", r#"屋根の"雨漏り" \ 至急"#)));
        assert_eq!(
            (q.limit, q.order.clone()),
            (10, vec![("$id".to_owned(), false)])
        );
    }

    #[test]
    fn numbers_times_users_and_or() {
        let q = parse(
            r#"更新日時 >= "2026-11-25T08:59:00Z" and ($id > 4 or 担当者 in ("hanako")) order by $id asc"#,
            &known,
        )
        .unwrap();
        assert!(q.matches(&record(5, "処理中", "")));
        assert!(!q.matches(&record(4, "処理中", "")));
        let q = parse(r#"担当者 in ("taro") and 件名 like "修理""#, &known).unwrap();
        assert!(q.matches(&record(1, "処理中", "屋根の修理")));
        assert!(parse("", &known).unwrap().matches(&record(1, "", "")));
    }

    #[test]
    fn what_kintone_refuses() {
        let syntax = |q: &str| matches!(parse(q, &known), Err(QueryError::Syntax(_)));
        assert!(
            syntax(r#""ステータス" = "承認待ち""#),
            "a quoted field code"
        );
        assert!(syntax("ステータス = 承認待ち"), "an unquoted string");
        assert!(syntax(r#"件名 = "open"#), "an unclosed string");
        assert!(syntax(r#"件名 = "a\b""#), "an unknown escape");
        assert!(syntax(r#"ステータス in "承認待ち""#), "in without a list");
        assert!(syntax("$id > 0 order by $id"), "order without a direction");
        assert_eq!(
            parse(r#"状態 = "承認待ち""#, &known).unwrap_err(),
            QueryError::UnknownField("状態".into())
        );
        assert!(matches!(
            parse("limit 501", &known),
            Err(QueryError::Limit(_))
        ));
        assert!(matches!(
            parse("offset 10001", &known),
            Err(QueryError::Limit(_))
        ));
    }
}
