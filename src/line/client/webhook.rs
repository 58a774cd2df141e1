//! The channel's webhook settings as LINE holds them, for `doctor`:
//! `GET /v2/bot/channel/webhook/endpoint` (the URL and whether it is used)
//! and `POST /v2/bot/channel/webhook/test` (LINE sends a test webhook there
//! now and says what came back).

use serde::Deserialize;

use super::LineClient;
use crate::line::error::LineError;

/// The webhook URL set in the LINE Developers console.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WebhookEndpoint {
    /// Empty when none is set.
    #[serde(default)]
    pub endpoint: String,
    /// "Use webhook" is on.
    pub active: bool,
}

/// What LINE saw when it sent a test webhook.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookTest {
    #[serde(default)]
    pub success: bool,
    /// The endpoint's HTTP status; zero or negative when none came back.
    pub status_code: i32,
    pub reason: String,
    pub detail: String,
}

impl LineClient {
    /// `GET /v2/bot/channel/webhook/endpoint`.
    ///
    /// # Errors
    /// Classified [`LineError`].
    pub async fn webhook_endpoint(&self) -> Result<WebhookEndpoint, LineError> {
        self.get("/v2/bot/channel/webhook/endpoint").await
    }

    /// `POST /v2/bot/channel/webhook/test` for the URL set in the console.
    ///
    /// # Errors
    /// Classified [`LineError`].
    pub async fn webhook_test(&self) -> Result<WebhookTest, LineError> {
        let body = serde_json::json!({});
        let answer = self
            .call(
                reqwest::Method::POST,
                "/v2/bot/channel/webhook/test",
                Some(&body),
                None,
            )
            .await?;
        if answer.status != 200 {
            return Err(answer.error());
        }
        serde_json::from_str(&answer.body).map_err(|e| LineError::Protocol(e.to_string()))
    }
}
