//! Reply-vs-Push is a compile-time rule: these programs must not compile.

#[test]
fn reply_tokens_cannot_be_cloned_reused_or_forged() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
