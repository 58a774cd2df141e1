//! Pieces of kintone's query language (`records.json?query=`): field codes
//! are written bare — a Japanese code such as `更新日時` too, since kintone
//! field codes hold no spaces, quotes or operators — and string values go
//! in double quotes with `"` and `\` escaped by a backslash. The client
//! sends the whole query URL-encoded as UTF-8.

/// `value` as a quoted query string: `承認待ち` → `"承認待ち"`,
/// `a"b` → `"a\"b"`.
pub fn string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(string("承認待ち"), "\"承認待ち\"");
        assert_eq!(
            string(r#"屋根の"雨漏り" \ 至急"#),
            r#""屋根の\"雨漏り\" \\ 至急""#
        );
        assert_eq!(string(""), "\"\"");
    }
}
