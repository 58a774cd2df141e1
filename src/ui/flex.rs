//! An HTML rendering of a Flex bubble (the *Rules* tab's card preview),
//! from the same JSON the gateway pushes: boxes (vertical, horizontal,
//! baseline), texts and spans with sizes by token, buttons by style,
//! separators, fillers; an image shows as a placeholder. Sizes, spacing,
//! layout and button styles are classes (`style.css`); only colours and
//! `flex` are inline, and a colour is used only if it is `#RRGGBB[AA]`.

use maud::{html, Markup};
use serde_json::Value;

const BLOCKS: [&str; 4] = ["header", "hero", "body", "footer"];
const TOKENS: [&str; 12] = [
    "none", "xxs", "xs", "sm", "md", "lg", "xl", "xxl", "3xl", "4xl", "5xl", "full",
];

/// A token value of `key`, or `default` if it is not one.
fn token<'a>(v: &'a Value, key: &str, default: &'a str) -> &'a str {
    v[key]
        .as_str()
        .filter(|t| TOKENS.contains(t))
        .unwrap_or(default)
}

/// `#RRGGBB` or `#RRGGBBAA`, else nothing.
fn color(v: &Value, key: &str) -> Option<String> {
    let c = v[key].as_str()?;
    let hex = c.strip_prefix('#')?;
    ((hex.len() == 6 || hex.len() == 8) && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| c.to_owned())
}

/// The inline style of a component: its colours and its `flex`.
fn inline(v: &Value, text_color: &str) -> String {
    let mut s = String::new();
    if let Some(c) = color(v, "backgroundColor") {
        s.push_str(&format!("background:{c};"));
    }
    if let Some(c) = color(v, text_color) {
        s.push_str(&format!("color:{c};"));
    }
    if let Some(f) = v["flex"].as_u64() {
        s.push_str(&format!("flex:{f} 1 0;"));
    }
    s
}

/// The bubble `card` as HTML.
pub(super) fn bubble(card: &Value) -> Markup {
    html! {
        div.fx-bubble {
            @for block in BLOCKS {
                @if card[block].is_object() {
                    @let style = color(&card["styles"][block], "backgroundColor").map(|c| format!("background:{c}"));
                    div class={ "fx-block fx-" (block) } style=[style] { (component(&card[block])) }
                }
            }
        }
    }
}

fn component(c: &Value) -> Markup {
    match c["type"].as_str().unwrap_or("") {
        "box" => flex_box(c),
        "text" => text(c),
        "button" => button(c),
        "separator" => {
            let style = color(c, "color").map(|c| format!("border-color:{c}"));
            html! { hr class={ "fx-separator fx-mt-" (token(c, "margin", "none")) } style=[style]; }
        }
        "filler" | "spacer" => html! { div.fx-filler style=(inline(c, "color")) {} },
        "image" | "video" => html! { div.fx-image { "🖼" } },
        _ => html! {},
    }
}

fn flex_box(c: &Value) -> Markup {
    let layout = match c["layout"].as_str() {
        Some("horizontal") => "horizontal",
        Some("baseline") => "baseline",
        _ => "vertical",
    };
    let class = format!(
        "fx-box fx-{layout} fx-gap-{} fx-pad-{} fx-mt-{}",
        token(c, "spacing", "none"),
        token(c, "paddingAll", "none"),
        token(c, "margin", "none")
    );
    html! {
        div class=(class) style=(inline(c, "color")) {
            @for child in c["contents"].as_array().into_iter().flatten() { (component(child)) }
        }
    }
}

fn text(c: &Value) -> Markup {
    let class = format!(
        "fx-text fx-size-{} fx-mt-{}{}{}{}",
        token(c, "size", "md"),
        token(c, "margin", "none"),
        if c["weight"] == "bold" {
            " fx-bold"
        } else {
            ""
        },
        if c["wrap"] == true { " fx-wrap" } else { "" },
        match c["align"].as_str() {
            Some("center") => " fx-center",
            Some("end") => " fx-end",
            _ => "",
        }
    );
    let spans = c["contents"].as_array().filter(|s| !s.is_empty());
    html! {
        p class=(class) style=(inline(c, "color")) {
            @if let Some(spans) = spans {
                @for s in spans {
                    span class={ "fx-size-" (token(s, "size", "md")) @if s["weight"] == "bold" { " fx-bold" } }
                        style=(inline(s, "color")) { (s["text"].as_str().unwrap_or("")) }
                }
            } @else { (c["text"].as_str().unwrap_or("")) }
        }
    }
}

fn button(c: &Value) -> Markup {
    let style = match c["style"].as_str() {
        Some("primary") => "primary",
        Some("secondary") => "secondary",
        _ => "link",
    };
    let class = format!("fx-button fx-{style} fx-mt-{}", token(c, "margin", "none"));
    let label = c["action"]["label"].as_str().unwrap_or("");
    // A button's `color` is its background, except a link's (its text).
    let style = match (style, color(c, "color")) {
        ("link", _) => inline(c, "color"),
        (_, Some(bg)) => format!("background:{bg};"),
        (_, None) => String::new(),
    };
    html! { div class=(class) style=(style) { (label) } }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_texts_and_buttons_render_with_their_tokens_and_escaped() {
        let card = serde_json::json!({"type": "bubble",
            "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": [
                {"type": "text", "text": "<b>#5</b>", "size": "xl", "weight": "bold", "color": "#ff0000"},
                {"type": "separator"},
                {"type": "text", "text": "x", "size": "huge", "color": "red;background:url(x)"}]},
            "footer": {"type": "box", "layout": "vertical", "contents": [
                {"type": "button", "style": "primary", "action": {"type": "postback", "label": "確認しました", "data": "ack"}},
                {"type": "button", "style": "primary", "color": "#06C755", "action": {"type": "uri", "label": "開く", "uri": "https://x"}}]}});
        let html = bubble(&card).into_string();
        assert!(html.contains("fx-box fx-vertical fx-gap-sm"), "{html}");
        assert!(
            html.contains(
                r#"class="fx-text fx-size-xl fx-mt-none fx-bold" style="color:#ff0000;""#
            ),
            "{html}"
        );
        assert!(
            html.contains("&lt;b&gt;#5&lt;/b&gt;"),
            "text is escaped: {html}"
        );
        assert!(
            html.contains("fx-size-md") && !html.contains("url(x)"),
            "unknown tokens and colours are dropped: {html}"
        );
        assert!(
            html.contains(
                r#"<div class="fx-button fx-primary fx-mt-none" style="">確認しました</div>"#
            ),
            "{html}"
        );
        assert!(
            html.contains(r#"style="background:#06C755;">開く</div>"#),
            "a primary button's colour is its background: {html}"
        );
    }
}
