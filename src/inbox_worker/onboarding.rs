//! Getting staff onto the bot: a friend gets told how to link, a one-time
//! code links their LINE account to a name (and kintone user), a group the
//! bot joins is recorded so rules can address it. Each answer is the
//! event's last word: a Reply sent once the event's finish is stored
//! (`dispatch`), like an acknowledgement's.

use super::respond::{decide, Decided, PendingReply};
use super::AckContext;
use crate::clock::now_ms;
use crate::domain::LineUserId;
use crate::inbound::events::Source;
use crate::inbound::reply::ReplyToken;
use crate::store::staff::{normalise_code, Redeem};
use crate::text::fill;

/// Profile names are re-fetched after a week.
pub(super) const PROFILE_TTL_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// The name (and kintone user) to write back for a LINE user: the staff
/// directory, else the cached LINE profile, else the profile API.
pub(super) async fn who(ctx: &AckContext, user: Option<&LineUserId>) -> (String, Option<String>) {
    let texts = ctx.config.language.catalogue();
    let Some(user) = user else {
        return (texts.unknown_user.into(), None);
    };
    let fresh_after = now_ms() - PROFILE_TTL_MS;
    if let Ok(Some(found)) = ctx
        .store
        .display_name(user.as_str().to_owned(), fresh_after)
        .await
    {
        return found;
    }
    match ctx.line.profile(user).await {
        Ok(p) => {
            let _ = ctx
                .store
                .profile_put(user.as_str().to_owned(), p.display_name.clone(), now_ms())
                .await;
            (p.display_name, None)
        }
        Err(e) => {
            tracing::info!(error = %e, "LINE profile unavailable; writing back the user id");
            let id = &user.as_str()[..9];
            (fill(texts.user_by_id, &[("id", id)]), None)
        }
    }
}

/// The Reply that answers with `text`, to send after the finish; `None`
/// without a token, or past its deadline (no fallback push: a greeting is
/// not worth a paid message).
async fn reply_with(
    ctx: &AckContext,
    token: Option<ReplyToken>,
    text: String,
) -> Option<PendingReply> {
    match decide(ctx, token, None, text).await {
        Decided::Reply(pending) => Some(pending),
        Decided::Now(_) => None,
    }
}

pub(super) async fn follow(
    ctx: &AckContext,
    user: Option<&LineUserId>,
    token: Option<ReplyToken>,
) -> Option<PendingReply> {
    let linked = match user {
        Some(u) => ctx
            .store
            .display_name(u.as_str().to_owned(), i64::MAX)
            .await
            .ok()
            .flatten(),
        None => None,
    };
    let texts = ctx.config.language.catalogue();
    let text = match linked {
        Some((name, _)) => fill(texts.welcome_back, &[("name", &name)]),
        None => texts.welcome.into(),
    };
    reply_with(ctx, token, text).await
}

pub(super) async fn message(
    ctx: &AckContext,
    user: Option<&LineUserId>,
    text: Option<&str>,
    token: Option<ReplyToken>,
) -> Option<PendingReply> {
    let (Some(user), Some(text)) = (user, text) else {
        return None;
    };
    let texts = ctx.config.language.catalogue();
    let Some(code) = normalise_code(text) else {
        // Chat that is not a code: only people not yet linked get a hint.
        let linked = ctx
            .store
            .display_name(user.as_str().to_owned(), i64::MAX)
            .await;
        if matches!(linked, Ok(None)) {
            return reply_with(ctx, token, texts.link_hint.into()).await;
        }
        return None;
    };
    let outcome = ctx
        .store
        .invite_redeem(user.as_str().to_owned(), code, now_ms())
        .await;
    let reply = match outcome {
        Ok(Redeem::Linked(m)) => {
            tracing::info!(name = %m.display_name, "staff member linked");
            fill(texts.linked, &[("name", &m.display_name)])
        }
        Ok(Redeem::Unknown) => texts.code_unknown.into(),
        Ok(Redeem::Expired) => texts.code_expired.into(),
        Ok(Redeem::AlreadyUsed) => texts.code_used.into(),
        Ok(Redeem::RateLimited) => texts.code_rate_limited.into(),
        Err(e) => {
            tracing::error!(error = %e, "could not check an invite code");
            texts.code_unchecked.into()
        }
    };
    reply_with(ctx, token, reply).await
}

pub(super) async fn join(
    ctx: &AckContext,
    source: &Source,
    token: Option<ReplyToken>,
) -> Option<PendingReply> {
    let Source::Group { group, .. } = source else {
        return None;
    };
    let name = match ctx.line.group_summary(group).await {
        Ok(s) => Some(s.group_name),
        Err(e) => {
            tracing::info!(error = %e, "group summary unavailable");
            None
        }
    };
    if let Err(e) = ctx
        .store
        .group_joined(group.as_str().to_owned(), name.clone(), now_ms())
        .await
    {
        tracing::error!(error = %e, "could not record the group");
    }
    tracing::info!(group = %group, name = name.as_deref().unwrap_or("?"), "added to a LINE group");
    let text = ctx.config.language.catalogue().group_hello;
    reply_with(ctx, token, text.into()).await
}

pub(super) async fn leave(ctx: &AckContext, source: &Source) {
    if let Source::Group { group, .. } = source {
        if let Err(e) = ctx
            .store
            .group_left(group.as_str().to_owned(), now_ms())
            .await
        {
            tracing::error!(error = %e, "could not record leaving the group");
        }
    }
}
