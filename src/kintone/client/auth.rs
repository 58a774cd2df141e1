//! kintone credentials and how a request carries them: the app's API token
//! header and, on a protected domain, HTTP basic authentication.

use base64::Engine as _;

use crate::domain::AppId;
use crate::secret::{Redactor, Secret};

/// Basic authentication for protected domains.
#[derive(Debug, Clone)]
pub struct BasicAuth {
    pub user: String,
    pub password: Secret,
}

/// One app's credentials (an API token is valid for its own app only).
#[derive(Debug, Clone)]
pub struct AppAuth {
    pub app: AppId,
    pub api_token: Secret,
    pub basic: Option<BasicAuth>,
}

impl AppAuth {
    /// A redactor that knows every secret a request with these credentials
    /// carries: the API token(s), the basic password and its header value.
    pub fn redactor(&self) -> Redactor {
        let r = Redactor::new().with(&self.api_token);
        match &self.basic {
            Some(b) => r.with_basic(&b.user, &b.password),
            None => r,
        }
    }

    /// `req` with these credentials' headers.
    pub(super) fn sign(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let req = req.header("X-Cybozu-API-Token", self.api_token.expose());
        match &self.basic {
            Some(b) => {
                let raw = format!("{}:{}", b.user, b.password.expose());
                let enc = base64::engine::general_purpose::STANDARD.encode(raw);
                req.header("Authorization", format!("Basic {enc}"))
            }
            None => req,
        }
    }
}
