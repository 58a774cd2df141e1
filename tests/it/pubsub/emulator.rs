//! The Google Cloud Pub/Sub emulator for the suite: the one named by
//! `PUBSUB_EMULATOR_HOST` (`.ci/run` starts it), or else one started here
//! once per test binary, which stops itself when the binary exits. A test
//! that needs it fails, saying why, when it cannot be had.

use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{json, Value};

/// The project every test uses; topics and subscriptions are per test.
pub const PROJECT: &str = "klg-test";

/// `host:port` of a running emulator, started on first use.
pub fn host() -> String {
    static HOST: OnceLock<Result<String, String>> = OnceLock::new();
    HOST.get_or_init(start)
        .clone()
        .unwrap_or_else(|why| panic!("the Pub/Sub emulator is needed by this test: {why}"))
}

fn start() -> Result<String, String> {
    if let Ok(h) = std::env::var("PUBSUB_EMULATOR_HOST") {
        return Ok(h);
    }
    let on_path = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("gcloud").is_file()));
    if !on_path {
        return Err("PUBSUB_EMULATOR_HOST is not set and gcloud is not on PATH (install google-cloud-cli and google-cloud-cli-pubsub-emulator, and Java)".into());
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let host = format!("127.0.0.1:{port}");
    // The shell watches this test binary and, once it is gone, ends gcloud
    // and its Java child: gcloud leads a process group of its own, so that
    // group goes, and the shell's own in case it did not.
    let script = format!(
        "gcloud beta emulators pubsub start --host-port={host} --project={PROJECT} >/dev/null 2>&1 &\n\
         G=$!\n\
         while kill -0 {parent} 2>/dev/null; do sleep 1; done\n\
         kill -TERM -$G 2>/dev/null; kill -TERM -$$",
        parent = std::process::id()
    );
    use std::os::unix::process::CommandExt as _;
    Command::new("sh")
        .args(["-c", &script])
        .process_group(0)
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run sh: {e}"))?;
    let addr: std::net::SocketAddr = host.parse().map_err(|_| "bad address".to_owned())?;
    for _ in 0..600 {
        // The emulator binds its port once it serves.
        if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(host);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!(
        "`gcloud beta emulators pubsub start --host-port={host}` did not answer within 60 s \
         (is google-cloud-cli-pubsub-emulator installed, and Java?); or set PUBSUB_EMULATOR_HOST"
    ))
}

/// A message to publish: its data bytes and attributes.
pub type Message = (Vec<u8>, Vec<(&'static str, String)>);

/// A topic and its subscription on the emulator, named for one test.
pub struct Topic {
    pub host: String,
    pub topic: String,
    pub subscription: String,
    http: reqwest::Client,
}

impl Topic {
    /// Creates `{name}-topic` and its subscription `{name}-sub` with the
    /// given ack deadline (Pub/Sub's minimum is 10 s).
    pub async fn create(name: &str, ack_deadline_s: u32) -> Topic {
        kintone_line_gateway::outbound::install_crypto_provider();
        let host = tokio::task::spawn_blocking(host).await.expect("emulator");
        let unique = format!("{name}-{}", uuid::Uuid::new_v4().simple());
        let t = Topic {
            topic: format!("{unique}-topic"),
            subscription: format!("{unique}-sub"),
            host,
            http: reqwest::Client::new(),
        };
        t.call("PUT", &format!("topics/{}", t.topic), json!({}))
            .await;
        let sub = json!({
            "topic": format!("projects/{PROJECT}/topics/{}", t.topic),
            "ackDeadlineSeconds": ack_deadline_s,
        });
        t.call("PUT", &format!("subscriptions/{}", t.subscription), sub)
            .await;
        t
    }

    /// A second subscription `{name}-sub` on the same topic, as a second
    /// site's board has (the emulator ignores filters, so none is set).
    pub async fn subscribe_another(&self, name: &str) -> Topic {
        let t = Topic {
            subscription: format!("{}-{name}-sub", self.topic.trim_end_matches("-topic")),
            topic: self.topic.clone(),
            host: self.host.clone(),
            http: self.http.clone(),
        };
        let sub = json!({
            "topic": format!("projects/{PROJECT}/topics/{}", t.topic),
            "ackDeadlineSeconds": 10,
        });
        t.call("PUT", &format!("subscriptions/{}", t.subscription), sub)
            .await;
        t
    }

    async fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("http://{}/v1/projects/{PROJECT}/{path}", self.host);
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let resp = self
            .http
            .request(method, url)
            .json(&body)
            .send()
            .await
            .expect("the emulator answers");
        let status = resp.status();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {v}");
        v
    }

    /// Publishes one message per `(data, attributes)`, as the relay does.
    pub async fn publish(&self, messages: &[Message]) {
        let b64 = base64::engine::general_purpose::STANDARD;
        let list: Vec<Value> = messages
            .iter()
            .map(|(data, attrs)| {
                let attrs: serde_json::Map<String, Value> = attrs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), Value::from(v.as_str())))
                    .collect();
                json!({ "data": b64.encode(data), "attributes": attrs })
            })
            .collect();
        for chunk in list.chunks(100) {
            let path = format!("topics/{}:publish", self.topic);
            self.call("POST", &path, json!({ "messages": chunk })).await;
        }
    }

    /// How many messages a second subscriber would be handed right now
    /// (they are then left to expire).
    pub async fn pull_now(&self) -> usize {
        let path = format!("subscriptions/{}:pull", self.subscription);
        let v = self
            .call(
                "POST",
                &path,
                json!({ "returnImmediately": true, "maxMessages": 10 }),
            )
            .await;
        v["receivedMessages"].as_array().map_or(0, Vec::len)
    }

    /// The `[ingress]` config lines that make a gateway pull this
    /// subscription at `api_base` (the emulator, or a proxy in front of it).
    pub fn ingress(&self, api_base: &str, ack_deadline: &str) -> String {
        format!(
            "\n[ingress]\nmode = [\"http\", \"pubsub\"]\n\n[ingress.pubsub]\nproject = \"{PROJECT}\"\nsubscription = \"{}\"\napi_base = \"{api_base}\"\nack_deadline = \"{ack_deadline}\"\n",
            self.subscription
        )
    }

    /// The emulator's base URL.
    pub fn api_base(&self) -> String {
        format!("http://{}", self.host)
    }
}
