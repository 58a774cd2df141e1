//! The argument definitions: every command and its options, as clap parses them.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

const DEFAULT_CONFIG: &str = "/etc/kintone-line-gateway/config.toml";

/// Exit codes and environment, for `--help` and the man page: Japanese
/// first, then English.
const AFTER_HELP: &str = "終了コード：0 完了（`| head` のように出力の読み手が先に終わったときも）、\
1 動作中の失敗、64 設定か引数の誤り、65 ストアが壊れている（`store rescue`）、\
66 ストアがない（戻すか `run --new-store`）、またはまだない（サービスが一度も動いていない）。
環境変数：KLG_CONFIG（設定ファイル、--config と同じ）、RUST_LOG（古い名前は KLG_LOG。ログの絞り込み、\
--log-level が優先）、JOURNAL_STREAM（systemd が設定。ログ行に重要度が付きます）。

Exit status: 0 done (also when the reader of the output went away, as with `| head`); \
1 failed while running; 64 bad config or bad arguments; 65 the store is damaged (`store rescue`); \
66 the store is gone (restore it, or `run --new-store`) or not there yet (the service has not run).
Environment: KLG_CONFIG (the config file, as --config); RUST_LOG, or its older name KLG_LOG \
(the log filter; --log-level wins); JOURNAL_STREAM (set by systemd: log lines carry their priority).";

#[derive(Debug, Parser)]
#[command(
    name = "kintone-line-gateway",
    version,
    disable_help_flag = true,
    disable_version_flag = true,
    disable_help_subcommand = true,
    about = "kintone ⇄ LINE ゲートウェイ：レコードの変化を LINE で知らせ、ボタンで確認、事務所のランプも（kintone ⇄ LINE gateway: push on record changes, acknowledge by postback, lights in the office）",
    after_help = AFTER_HELP
)]
pub(super) struct Cli {
    /// 設定ファイル（どのコマンドも読みます。保存先フォルダーもここに書きます）。既定は /etc/kintone-line-gateway/config.toml、環境変数 KLG_CONFIG でも指定できます
    ///
    /// The config file (every command reads it; the state directory is named
    /// there). Default /etc/kintone-line-gateway/config.toml; KLG_CONFIG sets it too.
    #[arg(
        short = 'c',
        long,
        global = true,
        env = "KLG_CONFIG",
        hide_env = true,
        hide_default_value = true,
        default_value = DEFAULT_CONFIG
    )]
    pub(super) config: PathBuf,
    /// ログの絞り込み（`warn`、`info`、`debug`、`info,kintone_line_gateway=debug` など）
    ///
    /// The log filter (`warn`, `info`, `debug`, or `info,kintone_line_gateway=debug`);
    /// wins over `RUST_LOG`, which wins over `KLG_LOG`.
    #[arg(long, global = true, value_name = "FILTER")]
    pub(super) log_level: Option<String>,
    /// 使い方を表示します（-h なら短く）
    ///
    /// Print help (a summary with -h).
    #[arg(short = 'h', long, global = true, action = clap::ArgAction::Help)]
    help: Option<bool>,
    /// 版を表示します
    ///
    /// Print the version.
    #[arg(short = 'V', long, action = clap::ArgAction::Version)]
    version: Option<bool>,
    #[command(subcommand)]
    pub(super) command: Command,
}

#[derive(Debug, Subcommand)]
pub(super) enum Command {
    /// LINE と kintone の模擬サーバーを相手に、全体をオフラインで動かして見せます
    ///
    /// Run the whole system offline against built-in simulators of LINE and kintone.
    #[cfg(feature = "sim")]
    Demo {
        /// 筋書きのあとも動かしたままにして、コマンドを受け付けます
        ///
        /// After the scenario, keep everything running and take commands.
        #[arg(long)]
        interactive: bool,
        /// 言葉（説明とスタッフが読む文）：ja（既定）か en
        ///
        /// The language staff read (the narration, the site's `language`): ja (the default) or en.
        #[arg(
            long,
            default_value = "ja",
            value_parser = ["ja", "en"],
            hide_default_value = true,
            hide_possible_values = true
        )]
        lang: String,
    },
    /// サービス（デーモン）として動かします
    ///
    /// Run the daemon.
    Run {
        /// 前のストアがなくなったところで、新しい空のストアから始めます（前のストアの中身はすべて失われます）
        ///
        /// Start with a new, empty store where the old one is gone (the
        /// state directory's marker says it had one). Everything the old
        /// store held is given up. Without it such a start is refused.
        #[arg(long)]
        new_store: bool,
    },
    /// 設定（秘密の値、GPIO の線も）を確かめ、直すところをすべて挙げます
    ///
    /// Check the config (and secrets, and hardware lines); list every problem.
    CheckConfig,
    /// スタッフの LINE アカウントを、一度だけ使えるコードでつなぎます
    ///
    /// Link staff LINE accounts with one-time codes.
    Staff {
        #[command(subcommand)]
        action: StaffAction,
    },
    /// 確認の記録を一覧にします
    ///
    /// List acknowledgements from the audit log.
    Acks {
        /// いつから：日付（2026-11-01）、日時、または今からさかのぼる期間（24h、7d）。既定は 24h
        ///
        /// A date (2026-11-01), a timestamp, or a span back from now (24h, 7d). Default 24h.
        #[arg(long, default_value = "24h", hide_default_value = true)]
        since: String,
        /// 表ではなく JSON の行で出します
        ///
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// 送信待ちと、送れなかったプッシュを表示します（`outbox retry` で送り直し）
    ///
    /// Show queued and dead-lettered push requests; `outbox retry` sends
    /// dead letters again.
    Outbox {
        /// 送信済みのものも含めます
        ///
        /// Include requests already sent.
        #[arg(long)]
        all: bool,
        #[command(subcommand)]
        action: Option<OutboxAction>,
    },
    /// サービスを動かしたまま、ストアを新しいファイル FILE に写します
    ///
    /// Copy the store, consistently, while the service runs (SQLite's online
    /// backup) into a new owner-only FILE.
    Backup {
        /// 写し先（まだないファイル）
        ///
        /// Where the copy goes (must not exist yet).
        file: PathBuf,
    },
    /// スタッフやグループに LINE の文を送ります（動いているサービスが送ります）
    ///
    /// Queue a LINE text message for staff or groups (for scripts on the
    /// board); the running daemon sends it through its outbox.
    Send {
        /// 送り先（ルールと同じ書き方：スタッフ名、kintone:ユーザー、group:名前、LINE の ID）。複数なら繰り返します
        ///
        /// A recipient as in the rules: a staff name, kintone:USER,
        /// group:NAME or a LINE id. Repeat for more.
        #[arg(long, required = true)]
        to: Vec<String>,
        /// 文（5,000 字まで）
        ///
        /// The text (at most 5,000 characters).
        text: String,
    },
    /// ゲートウェイの様子をまとめて表示します
    ///
    /// Print the gateway's status summary from the store.
    Status,
    /// ストア（保存先フォルダーの SQLite データベース）の手入れ
    ///
    /// Look after the store (the SQLite database in the state directory).
    Store {
        #[command(subcommand)]
        action: StoreAction,
    },
    /// LINE、kintone、GPIO、保存先フォルダー、時計がそろっているか、このボードから点検します
    ///
    /// Check from this board that LINE, kintone, GPIO, the state directory
    /// and the clock are all as the gateway needs them.
    Doctor,
    /// Web ページのパスワードを読み、そのハッシュを FILE に書きます
    ///
    /// Read the web page's password from standard input and write its
    /// argon2 hash to FILE (owner-only), for `[ui] password = { file = "FILE" }`.
    UiPassword {
        /// ハッシュの書き先
        ///
        /// Where the hash goes.
        file: PathBuf,
    },
    /// コマンドの使い方を表示します（`help run` は `run --help` と同じ）
    ///
    /// Print the help of a command (`help run` is `run --help`).
    Help {
        /// コマンド名（省略すると全体の使い方）
        ///
        /// The command (none: the whole program's help).
        command: Vec<String>,
    },
}

/// clap's own headings are English: each is Japanese first here.
const TEMPLATE: &str =
    "{before-help}{about-with-newline}\n使い方（Usage）: {usage}\n\n{all-args}{after-help}";

/// The command line as the derive describes it, with the headings of every
/// command's help in Japanese first.
pub(super) fn localised(cmd: clap::Command) -> clap::Command {
    cmd.help_template(TEMPLATE)
        .subcommand_help_heading("コマンド（Commands）")
        .mut_args(|a| {
            let heading = if a.is_positional() {
                "引数（Arguments）"
            } else {
                "オプション（Options）"
            };
            a.help_heading(heading)
        })
        .mut_subcommands(localised)
}

#[derive(Debug, Subcommand)]
pub(super) enum OutboxAction {
    /// 送れなかったプッシュを、新しい再送キーで送信待ちに戻します
    ///
    /// Put dead letters back in the queue with a new retry key: LINE sends
    /// them again (the running service picks them up within a second).
    Retry {
        /// プッシュの番号（`outbox` の一覧のとおり）
        ///
        /// The push request's number, as `outbox` lists it.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<i64>,
        /// 送れなかったものすべて
        ///
        /// Every dead letter.
        #[arg(long)]
        all: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum StoreAction {
    /// 壊れたストアを脇へ移し、読めるものを新しいストアに写します（サービスを止めてから）
    ///
    /// After the gateway refused a damaged store (exit 65), with the service
    /// stopped: move the damaged file aside (kept), copy what can still be
    /// read into a new store, and list per table what was kept and lost.
    Rescue,
    /// ストアを新しいストアと同じ形に書き直し、空いた場所をファイルから返します（サービスを止めてから）
    ///
    /// With the service stopped: rewrite the store in a new store's layout
    /// (512-byte pages, which write less to the SD card per event, and the
    /// pages of pruned rows given back to the file system), dropping every
    /// free page. Needs as much free space again as the store takes.
    Compact,
}

#[derive(Debug, Subcommand)]
pub(super) enum StaffAction {
    /// スタッフが LINE でボットに送る、一度だけのコードを出します
    ///
    /// Print a one-time code for a staff member to send to the bot in LINE.
    Invite {
        /// kintone への書き込みに出る名前
        ///
        /// The name shown in kintone write-backs.
        name: String,
        /// その人の kintone のログイン名（担当者あてのルールのため）
        ///
        /// Their kintone login name, for rules that address record assignees.
        #[arg(long)]
        kintone_user: Option<String>,
        /// コードの有効期間（既定は 72h）
        ///
        /// How long the code stays valid (default 72h).
        #[arg(long, default_value = "72h", hide_default_value = true)]
        valid: String,
    },
    /// つながっているスタッフの一覧
    ///
    /// List linked staff.
    List,
    /// スタッフのつながりを外します（LINE のユーザー ID、名前、kintone のユーザーで指定）
    ///
    /// Unlink staff by LINE user id, name or kintone user.
    Remove { who: String },
}
