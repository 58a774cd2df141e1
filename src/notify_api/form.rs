//! A LINE Notify request body (`application/x-www-form-urlencoded`) become
//! Messaging API messages: `message` a text, `stickerPackageId`/`stickerId`
//! a sticker, `imageThumbnail`/`imageFullsize` an image. What LINE Notify
//! refused (no message, half a sticker, half an image) is refused here with
//! the words it used; `imageFile` uploads (multipart) are not taken: the
//! Messaging API sends images by https URL only.

use crate::line::flex::{FlexError, FlexTemplate, MAX_ALT_TEXT_CHARS};
use crate::line::message::{truncate_chars, Message};

/// LINE Notify's limit for `message`, in characters.
pub const MESSAGE_MAX: usize = 1000;

/// Why a body was refused (400), in LINE Notify's words where it had them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("message: must not be empty")]
    NoMessage,
    #[error("message: must be at most 1000 characters")]
    TooLong,
    #[error("You should pass stickerPackageId parameter if you pass stickerId.")]
    NoStickerPackage,
    #[error("You should pass stickerId parameter if you pass stickerPackageId.")]
    NoStickerId,
    #[error("{0}: must be a number")]
    NotANumber(&'static str),
    #[error("You should pass imageFullsize parameter if you pass imageThumbnail.")]
    NoFullsize,
    #[error("You should pass imageThumbnail parameter if you pass imageFullsize.")]
    NoThumbnail,
    #[error("{0}: must be an https URL")]
    NotHttps(&'static str),
    #[error("imageFile (multipart/form-data) is not supported: pass imageThumbnail and imageFullsize as https URLs")]
    Multipart,
    #[error("Content-Type must be application/x-www-form-urlencoded")]
    ContentType,
}

/// The fields of a LINE Notify request.
#[derive(Debug, Default)]
struct Fields {
    message: Option<String>,
    sticker_package: Option<String>,
    sticker: Option<String>,
    thumbnail: Option<String>,
    fullsize: Option<String>,
}

/// The messages a request body asks for, in the order LINE Notify showed
/// them: the text, then the image, then the sticker.
///
/// # Errors
/// [`FormError`], the 400 to answer.
pub fn messages(content_type: Option<&str>, body: &[u8]) -> Result<Vec<Message>, FormError> {
    let fields = fields(content_type, body)?;
    let text = fields
        .message
        .filter(|m| !m.trim().is_empty())
        .ok_or(FormError::NoMessage)?;
    if text.chars().count() > MESSAGE_MAX {
        return Err(FormError::TooLong);
    }
    let mut out = vec![Message::text(text)];
    out.extend(image(fields.thumbnail, fields.fullsize)?);
    out.extend(sticker(fields.sticker_package, fields.sticker)?);
    Ok(out)
}

/// The text of `messages` (the first, as [`messages`] makes it) shown in
/// the token's Flex `template` instead (`{{message}}`, `{{name}}`: the
/// token's name); stickers and images stay as they are.
///
/// # Errors
/// The rendered bubble breaks one of LINE's limits (a text made into a URI
/// it will not open, a bubble over 30 KB).
pub fn in_template(
    mut messages: Vec<Message>,
    template: &FlexTemplate,
    name: &str,
) -> Result<Vec<Message>, FlexError> {
    if let Some(Message::Text { text }) = messages.first().cloned() {
        let contents = template.render(&|k| match k {
            "message" => Some(text.clone()),
            "name" => Some(name.to_owned()),
            _ => None,
        })?;
        messages[0] = Message::Flex {
            alt_text: truncate_chars(&text, MAX_ALT_TEXT_CHARS),
            contents,
        };
    }
    Ok(messages)
}

fn fields(content_type: Option<&str>, body: &[u8]) -> Result<Fields, FormError> {
    let media = content_type
        .and_then(|c| c.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase());
    match media.as_deref() {
        // curl -d sends the form type; a bare body is read as a form too.
        Some("application/x-www-form-urlencoded") | None => {}
        Some("multipart/form-data") => return Err(FormError::Multipart),
        Some(_) => return Err(FormError::ContentType),
    }
    let mut f = Fields::default();
    for (k, v) in form_urlencoded::parse(body) {
        let slot = match k.as_ref() {
            "message" => &mut f.message,
            "stickerPackageId" => &mut f.sticker_package,
            "stickerId" => &mut f.sticker,
            "imageThumbnail" => &mut f.thumbnail,
            "imageFullsize" => &mut f.fullsize,
            // `notificationDisabled` and unknown fields: LINE Notify ignored
            // what it did not know; silent pushes are not offered here.
            _ => continue,
        };
        *slot = Some(v.into_owned());
    }
    Ok(f)
}

fn sticker(package: Option<String>, id: Option<String>) -> Result<Option<Message>, FormError> {
    let number = |v: String, what: &'static str| {
        let v = v.trim().to_owned();
        if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
            Ok(v)
        } else {
            Err(FormError::NotANumber(what))
        }
    };
    match (package, id) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(FormError::NoStickerPackage),
        (Some(_), None) => Err(FormError::NoStickerId),
        (Some(p), Some(s)) => Ok(Some(Message::Sticker {
            package_id: number(p, "stickerPackageId")?,
            sticker_id: number(s, "stickerId")?,
        })),
    }
}

fn image(
    thumbnail: Option<String>,
    fullsize: Option<String>,
) -> Result<Option<Message>, FormError> {
    let https = |v: String, what: &'static str| {
        let ok = v.starts_with("https://") && v.len() > 8 && !v.contains(char::is_whitespace);
        if ok && v.len() <= 2000 {
            Ok(v)
        } else {
            Err(FormError::NotHttps(what))
        }
    };
    match (thumbnail, fullsize) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(FormError::NoFullsize),
        (None, Some(_)) => Err(FormError::NoThumbnail),
        (Some(t), Some(f)) => Ok(Some(Message::Image {
            original: https(f, "imageFullsize")?,
            preview: https(t, "imageThumbnail")?,
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORM: Option<&str> = Some("application/x-www-form-urlencoded");

    #[test]
    fn a_message_is_a_text_and_is_decoded() {
        let m = messages(FORM, "message=%E7%82%B9%E6%A4%9C+OK".as_bytes()).expect("ok");
        assert_eq!(m, [Message::text("点検 OK")]);
    }

    #[test]
    fn sticker_and_image_follow_the_text() {
        let body = "message=hi&stickerPackageId=446&stickerId=1988\
                    &imageThumbnail=https%3A%2F%2Fx%2Ft.jpg&imageFullsize=https%3A%2F%2Fx%2Ff.jpg";
        let m = messages(FORM, body.as_bytes()).expect("ok");
        assert_eq!(
            m,
            [
                Message::text("hi"),
                Message::Image {
                    original: "https://x/f.jpg".into(),
                    preview: "https://x/t.jpg".into()
                },
                Message::Sticker {
                    package_id: "446".into(),
                    sticker_id: "1988".into()
                },
            ]
        );
    }

    #[test]
    fn what_line_notify_refused_is_refused() {
        let no = |ct: Option<&str>, body: &str| messages(ct, body.as_bytes()).unwrap_err();
        assert_eq!(no(FORM, ""), FormError::NoMessage);
        assert_eq!(no(FORM, "message=+"), FormError::NoMessage);
        assert_eq!(
            no(FORM, &format!("message={}", "a".repeat(1001))),
            FormError::TooLong
        );
        assert_eq!(
            no(FORM, "message=a&stickerId=1"),
            FormError::NoStickerPackage
        );
        assert_eq!(
            no(FORM, "message=a&stickerPackageId=1"),
            FormError::NoStickerId
        );
        assert_eq!(
            no(FORM, "message=a&stickerPackageId=x&stickerId=1"),
            FormError::NotANumber("stickerPackageId")
        );
        assert_eq!(
            no(FORM, "message=a&imageThumbnail=https://x/t"),
            FormError::NoFullsize
        );
        assert_eq!(
            no(
                FORM,
                "message=a&imageThumbnail=http://x/t&imageFullsize=https://x/f"
            ),
            FormError::NotHttps("imageThumbnail")
        );
        assert_eq!(
            no(Some("multipart/form-data; boundary=x"), "message=a"),
            FormError::Multipart
        );
        assert_eq!(no(Some("application/json"), "{}"), FormError::ContentType);
    }
}
