//! Actions a Flex button (or box) triggers: postback and URI.
//!
//! The rule kept here: an action that exists fits LINE's limits. Labels and
//! display texts are cut to fit (they are only read); postback data and URIs
//! are never cut (they are parsed), so when too long they are errors. The same
//! checks serve the typed builder and rendered templates.

use serde::Serialize;

use super::{
    FlexError, MAX_DISPLAY_TEXT_CHARS, MAX_LABEL_CHARS, MAX_POSTBACK_DATA_CHARS, MAX_URI_CHARS,
};
use crate::line::message::truncate_chars;

/// An action, serialised as LINE's action object (`{"type":"postback",…}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Action {
    /// Sends `data` back to the gateway as a postback event.
    Postback(PostbackAction),
    /// Opens a URI.
    Uri(UriAction),
}

/// A postback action. Fields are private: [`Action::postback`] checks them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostbackAction {
    label: String,
    data: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    display_text: Option<String>,
}

/// A URI action. Fields are private: [`Action::uri`] checks them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UriAction {
    label: String,
    uri: String,
}

impl Action {
    /// A postback action. `label` is cut to 40 characters and `display_text`
    /// (what the chat shows as the user's message) to 300; an empty display
    /// text is left out.
    ///
    /// # Errors
    /// [`FlexError::Empty`] for an empty label, [`FlexError::DataTooLong`]
    /// when `data` is over 300 characters.
    pub fn postback(
        label: &str,
        data: &str,
        display_text: Option<&str>,
    ) -> Result<Action, FlexError> {
        Ok(Action::Postback(PostbackAction {
            label: label_text("postback.label", label)?,
            data: check_data("postback.data", data)?.to_owned(),
            display_text: display_text.and_then(display),
        }))
    }

    /// A URI action. `label` is cut to 40 characters.
    ///
    /// # Errors
    /// [`FlexError::Empty`] for an empty label, [`FlexError::BadUri`] for a
    /// scheme LINE does not open, [`FlexError::TooLong`] over 1,000 characters.
    pub fn uri(label: &str, uri: &str) -> Result<Action, FlexError> {
        Ok(Action::Uri(UriAction {
            label: label_text("uri.label", label)?,
            uri: check_uri("uri.uri", uri)?.to_owned(),
        }))
    }
}

/// A label cut to [`MAX_LABEL_CHARS`].
pub(crate) fn label_text(path: &str, label: &str) -> Result<String, FlexError> {
    if label.trim().is_empty() {
        return Err(FlexError::Empty {
            path: path.to_owned(),
            what: "label",
        });
    }
    Ok(truncate_chars(label, MAX_LABEL_CHARS))
}

/// A display text cut to [`MAX_DISPLAY_TEXT_CHARS`], or `None` when empty.
pub(crate) fn display(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| truncate_chars(text, MAX_DISPLAY_TEXT_CHARS))
}

/// Postback data as is, or an error when it is too long to send uncut.
pub(crate) fn check_data<'a>(path: &str, data: &'a str) -> Result<&'a str, FlexError> {
    let len = data.chars().count();
    if len > MAX_POSTBACK_DATA_CHARS {
        return Err(FlexError::DataTooLong {
            path: path.to_owned(),
            len,
            max: MAX_POSTBACK_DATA_CHARS,
        });
    }
    Ok(data)
}

/// A URI LINE will open: http, https, line or tel, at most 1,000 characters.
pub(crate) fn check_uri<'a>(path: &str, uri: &'a str) -> Result<&'a str, FlexError> {
    let scheme_ok = ["http://", "https://", "line://", "tel:"]
        .iter()
        .any(|scheme| {
            uri.get(..scheme.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(scheme))
        });
    if !scheme_ok || uri.len() == scheme_len(uri) {
        return Err(FlexError::BadUri {
            path: path.to_owned(),
            value: truncate_chars(uri, 80),
        });
    }
    let len = uri.chars().count();
    if len > MAX_URI_CHARS {
        return Err(FlexError::TooLong {
            path: path.to_owned(),
            what: "uri",
            len,
            max: MAX_URI_CHARS,
        });
    }
    Ok(uri)
}

/// Length of the scheme prefix, to reject a bare `https://`.
fn scheme_len(uri: &str) -> usize {
    uri.find("//")
        .map_or_else(|| uri.find(':').map_or(0, |i| i + 1), |i| i + 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn postback_serialises_like_line() {
        let a = Action::postback("Acknowledge", "ack:v1::1:2:x", Some("Acknowledge #2")).unwrap();
        assert_eq!(
            serde_json::to_value(a).unwrap(),
            json!({"type":"postback","label":"Acknowledge","data":"ack:v1::1:2:x","displayText":"Acknowledge #2"})
        );
        let a = Action::postback("OK", "d", None).unwrap();
        assert_eq!(
            serde_json::to_value(a).unwrap(),
            json!({"type":"postback","label":"OK","data":"d"})
        );
    }

    #[test]
    fn labels_are_cut_at_character_boundaries() {
        let long = "承認".repeat(30); // 60 characters, 180 bytes
        let Action::Postback(p) = Action::postback(&long, "d", Some(&"確".repeat(400))).unwrap()
        else {
            panic!("not a postback");
        };
        assert_eq!(p.label.chars().count(), MAX_LABEL_CHARS);
        assert!(p.label.ends_with('…'));
        assert!(p.label.starts_with("承認承認"));
        let display = p.display_text.unwrap();
        assert_eq!(display.chars().count(), MAX_DISPLAY_TEXT_CHARS);
        assert!(display.ends_with('…'));
    }

    #[test]
    fn data_too_long_is_an_error_not_a_cut() {
        let ok = "あ".repeat(300);
        assert!(Action::postback("OK", &ok, None).is_ok());
        let err = Action::postback("OK", &"あ".repeat(301), None).unwrap_err();
        assert_eq!(
            err,
            FlexError::DataTooLong {
                path: "postback.data".into(),
                len: 301,
                max: 300
            }
        );
    }

    #[test]
    fn empty_label_is_an_error() {
        assert!(matches!(
            Action::postback(" ", "d", None),
            Err(FlexError::Empty { .. })
        ));
    }

    #[test]
    fn uris_are_checked_not_cut() {
        assert!(Action::uri("Open", "https://example.cybozu.com/k/1/show#record=2").is_ok());
        assert!(Action::uri("Call", "tel:0312345678").is_ok());
        assert!(matches!(
            Action::uri("Open", "javascript:alert(1)"),
            Err(FlexError::BadUri { .. })
        ));
        assert!(matches!(
            Action::uri("Open", "https://"),
            Err(FlexError::BadUri { .. })
        ));
        let long = format!("https://example.com/{}", "a".repeat(1000));
        assert!(matches!(
            Action::uri("Open", &long),
            Err(FlexError::TooLong { .. })
        ));
    }
}
