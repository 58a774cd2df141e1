//! Unit tests of [`super`]: kept in their own file so the module stays readable.

use super::*;
use crate::line::flex::{FlexBox, FlexText};

fn bubble(i: usize) -> (Bubble, String) {
    let b = Bubble::new().body(FlexBox::vertical(vec![
        FlexText::new(&format!("#{i}")).into()
    ]));
    (b, format!("#{i} done"))
}

fn bubbles(n: usize) -> Vec<(Bubble, String)> {
    (0..n).map(bubble).collect()
}

/// (contents type, bubble count) of every message, per request.
fn shape(requests: &[Vec<Message>]) -> Vec<Vec<(String, usize)>> {
    requests
        .iter()
        .map(|msgs| {
            msgs.iter()
                .map(|m| {
                    let Message::Flex { contents, .. } = m else {
                        panic!("not flex")
                    };
                    let kind = contents["type"].as_str().unwrap().to_owned();
                    let n = contents["contents"].as_array().map_or(1, Vec::len);
                    (kind, n)
                })
                .collect()
        })
        .collect()
}

fn carousel_of(n: usize) -> (String, usize) {
    ("carousel".into(), n)
}

#[test]
fn one_bubble_is_one_plain_message() {
    let requests = pack(bubbles(1)).unwrap();
    assert_eq!(shape(&requests), [vec![("bubble".to_owned(), 1)]]);
    let Message::Flex { alt_text, contents } = &requests[0][0] else {
        panic!()
    };
    assert_eq!(alt_text, "#0 done");
    assert_eq!(contents["body"]["contents"][0]["text"], "#0");
}

#[test]
fn thirteen_make_one_request_with_two_carousels() {
    assert_eq!(
        shape(&pack(bubbles(13)).unwrap()),
        [vec![carousel_of(12), carousel_of(1)]]
    );
}

#[test]
fn sixty_fit_one_request_and_sixty_one_need_two() {
    assert_eq!(
        shape(&pack(bubbles(60)).unwrap()),
        [vec![carousel_of(12); 5]]
    );
    assert_eq!(
        shape(&pack(bubbles(61)).unwrap()),
        [vec![carousel_of(12); 5], vec![carousel_of(1)]]
    );
    assert!(pack(Vec::<(Bubble, String)>::new()).unwrap().is_empty());
}

#[test]
fn order_is_kept_across_carousels() {
    let requests = pack(bubbles(13)).unwrap();
    let Message::Flex { contents, .. } = &requests[0][1] else {
        panic!()
    };
    assert_eq!(
        contents["contents"][0]["body"]["contents"][0]["text"],
        "#12"
    );
}

#[test]
fn carousels_hold_one_size_only() {
    let mut items: Vec<(Contents, String)> = Vec::new();
    for i in 0..4 {
        let (b, alt) = bubble(i);
        let b = if i % 2 == 0 {
            b.size(BubbleSize::Kilo)
        } else {
            b
        };
        items.push((b.into(), alt));
    }
    let requests = pack(items).unwrap();
    assert_eq!(shape(&requests), [vec![carousel_of(2), carousel_of(2)]]);
    let Message::Flex { contents, .. } = &requests[0][0] else {
        panic!()
    };
    assert!(contents["contents"]
        .as_array()
        .unwrap()
        .iter()
        .all(|b| b["size"] == "kilo"));
    let Message::Flex { contents, .. } = &requests[0][1] else {
        panic!()
    };
    assert!(contents["contents"]
        .as_array()
        .unwrap()
        .iter()
        .all(|b| b.get("size").is_none()));
}

#[test]
fn carousels_stay_under_fifty_kilobytes() {
    let big = |i: usize| {
        let texts = (0..6)
            .map(|_| FlexText::new(&"x".repeat(1990)).into())
            .collect();
        (
            Bubble::new().body(FlexBox::vertical(texts)),
            format!("#{i}"),
        )
    };
    let requests = pack((0..12).map(big).collect()).unwrap();
    let messages = &requests[0];
    assert!(messages.len() > 1);
    let mut total = 0;
    for m in messages {
        let Message::Flex { contents, .. } = m else {
            panic!()
        };
        assert!(json_bytes(contents) <= MAX_CAROUSEL_BYTES);
        total += contents["contents"].as_array().unwrap().len();
    }
    assert_eq!(total, 12);
}

#[test]
fn carousel_alt_text_summarises_within_limit() {
    let requests = pack(bubbles(3)).unwrap();
    let Message::Flex { alt_text, .. } = &requests[0][0] else {
        panic!()
    };
    assert_eq!(alt_text, "3 updates: #0 done / #1 done / #2 done");
    let long: Vec<_> = (0..12).map(|i| (bubble(i).0, "通知".repeat(200))).collect();
    let Message::Flex { alt_text, .. } = &pack(long).unwrap()[0][0] else {
        panic!()
    };
    assert_eq!(alt_text.chars().count(), MAX_ALT_TEXT_CHARS);
    assert!(alt_text.starts_with("12 updates: 通知") && alt_text.ends_with('…'));
    let Message::Flex { alt_text, .. } = &pack(vec![(bubble(0).0, " \n ".into())]).unwrap()[0][0]
    else {
        panic!()
    };
    assert_eq!(alt_text, EMPTY_ALT);
}

#[test]
fn json_items_must_be_bubbles_within_limits() {
    let err = pack(vec![(
        json!({"type":"carousel","contents":[]}),
        "x".to_owned(),
    )])
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "items[0].type: \"carousel\" is not allowed; use one of bubble"
    );
    let err = pack(vec![(
        json!({"type":"bubble","size":"300px"}),
        "x".to_owned(),
    )])
    .unwrap_err();
    assert!(matches!(err, FlexError::NotAllowed { ref path, .. } if path == "items[0].size"));
    let huge = json!({"type":"bubble","body":{"type":"box","layout":"vertical","contents":[{"type":"text","text":"x".repeat(30_000)}]}});
    assert!(matches!(
        pack(vec![(huge, "x".to_owned())]),
        Err(FlexError::BubbleTooLarge { .. })
    ));
    let ok = pack(vec![
        (json!({"type":"bubble","size":"kilo"}), "a".to_owned()),
        (json!({"type":"bubble"}), "b".to_owned()),
    ])
    .unwrap();
    assert_eq!(shape(&ok), [vec![carousel_of(1), carousel_of(1)]]);
}

#[test]
fn oversized_typed_bubble_error_names_the_item() {
    let texts = (0..20)
        .map(|_| FlexText::new(&"x".repeat(1999)).into())
        .collect();
    let huge = Bubble::new().body(FlexBox::vertical(texts));
    let err = pack(vec![bubble(0), (huge, "big".into())]).unwrap_err();
    assert!(
        matches!(err, FlexError::BubbleTooLarge { ref path, .. } if path == "items[1]"),
        "{err}"
    );
}
