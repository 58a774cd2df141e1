//! Tests of the validator itself: each keyword it claims to understand can
//! pass and fail.

use super::*;
use serde_json::json;

/// OpenAPI 3.1-style features the kintone spec uses, in a small document.
const SPEC: &str = r##"
openapi: 3.1.0
paths:
  /k/v1/record/comment.json:
    post:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [app, record, comment]
              properties:
                app: {type: integer, minimum: 1}
                record: {type: integer}
                comment:
                  type: object
                  required: [text]
                  properties:
                    text: {type: string, maxLength: 10}
                    mentions:
                      type: array
                      maxItems: 2
                      items: {$ref: '#/components/schemas/Mention'}
components:
  schemas:
    Mention:
      type: object
      required: [code, type]
      properties:
        code: {type: string, minLength: 1}
        type: {type: string, enum: [USER, GROUP, ORGANIZATION]}
    Record:
      type: object
      additionalProperties:
        type: object
        required: [value]
        properties:
          value:
            anyOf:
              - type: string
              - type: array
                items: {type: string}
    Strict:
      type: object
      properties:
        a: {type: [string, "null"]}
        b: {type: string, nullable: true}
        c: {const: fixed}
      additionalProperties: false
    OneOf:
      oneOf:
        - {type: string, maxLength: 3}
        - {type: string, minLength: 2}
    Pet:
      type: object
      required: [kind]
      properties:
        kind: {type: string}
      discriminator:
        propertyName: kind
    Cat:
      allOf:
        - $ref: '#/components/schemas/Pet'
        - type: object
          required: [meows]
          properties:
            meows: {type: boolean}
    Broken:
      $ref: '#/components/schemas/Nowhere'
"##;

fn spec() -> Spec {
    parse(SPEC).unwrap()
}

fn errors(schema: &str, value: Value) -> Vec<String> {
    spec().validate(schema, &value).unwrap_err()
}

const COMMENT: &str =
    "#/paths/~1k~1v1~1record~1comment.json/post/requestBody/content/application~1json/schema";

#[test]
fn pointers_reach_request_bodies() {
    let ok = json!({"app": 7, "record": 345, "comment": {"text": "done", "mentions": [{"code": "yamada", "type": "USER"}]}});
    assert_eq!(spec().validate(COMMENT, &ok), Ok(()));
    let bad = json!({"app": 0, "record": "345", "comment": {"text": "much too long", "mentions": [{"code": "", "type": "BOT"}]}});
    let e = errors(COMMENT, bad);
    assert!(
        e.iter().any(|e| e == "$.app: 0 is below the minimum 1"),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|e| e == "$.record: expected type \"integer\", found string"),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|e| e.starts_with("$.comment.text: 13 characters, at most 10")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|e| e.starts_with("$.comment.mentions[0].code: 0 characters")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|e| e.starts_with("$.comment.mentions[0].type: \"BOT\" is not one of")),
        "{e:?}"
    );
    assert_eq!(errors(COMMENT, json!({"app": 1})).len(), 2);
}

#[test]
fn additional_properties_and_any_of() {
    let ok = json!({"Title": {"value": "Fix roof"}, "Tags": {"value": ["a", "b"]}});
    assert_eq!(spec().validate("Record", &ok), Ok(()));
    let e = errors("Record", json!({"Title": {"value": 3}, "Empty": {}}));
    assert!(
        e.iter()
            .any(|e| e.starts_with("$.Title.value: matches none of anyOf")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|e| e == "$.Empty: required property `value` is missing"),
        "{e:?}"
    );
}

#[test]
fn types_nullable_const_and_closed_objects() {
    assert_eq!(
        spec().validate("Strict", &json!({"a": null, "b": null, "c": "fixed"})),
        Ok(())
    );
    let e = errors("Strict", json!({"a": 1, "b": 2, "c": "other", "d": true}));
    assert_eq!(e.len(), 4, "{e:?}");
    assert!(
        e.contains(&"$.d: property is not allowed".to_owned()),
        "{e:?}"
    );
}

#[test]
fn one_of_needs_exactly_one() {
    assert_eq!(spec().validate("OneOf", &json!("a")), Ok(()));
    assert_eq!(spec().validate("OneOf", &json!("abcd")), Ok(()));
    assert!(errors("OneOf", json!("abc"))[0].contains("exactly one"));
}

#[test]
fn discriminator_without_mapping_uses_schema_names() {
    assert_eq!(
        spec().validate("Pet", &json!({"kind": "Cat", "meows": true})),
        Ok(())
    );
    let e = errors("Pet", json!({"kind": "Cat"}));
    assert_eq!(e, ["$: required property `meows` is missing"]);
    assert!(errors("Pet", json!({"kind": "Dog"}))[0].contains("unknown kind \"Dog\""));
}

#[test]
fn broken_references_and_unknown_schemas_are_errors() {
    assert!(errors("Broken", json!({}))[0].contains("unresolvable $ref"));
    assert_eq!(
        errors("Nothing", json!({})),
        ["no schema at #/components/schemas/Nothing"]
    );
}

#[test]
fn line_spec_push_path_and_reply_request() {
    let spec = line_messaging_api();
    let push = json!({"to": "U4af4980629", "messages": [{"type": "text", "text": "hi"}]});
    let path = "#/paths/~1v2~1bot~1message~1push/post/requestBody/content/application~1json/schema";
    assert_eq!(spec.validate(path, &push), Ok(()));
    let reply = json!({"replyToken": "abc", "messages": [{"type": "text", "text": "hi"}]});
    assert_eq!(spec.validate("ReplyMessageRequest", &reply), Ok(()));
    let e = spec
        .validate(
            "ReplyMessageRequest",
            &json!({"replyToken": "abc", "messages": []}),
        )
        .unwrap_err();
    assert_eq!(e, ["$.messages: 0 items, at least 1 required"]);
}
