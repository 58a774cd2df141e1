//! `kintone-line-gateway backup FILE` while the daemon takes webhooks: the
//! copy is one owner-only file that opens, passes `integrity_check`, and
//! holds every row committed before the backup began.

use std::os::unix::fs::PermissionsExt;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::reports::run;
use crate::world::{rows, World, COMMENT_ACK};

#[tokio::test]
async fn a_backup_under_load_opens_checks_ok_and_holds_what_was_committed() {
    let w = World::start_with(COMMENT_ACK, "", |_| {}).await;
    let config = w.config_path();
    let copy = w.dir.path().join("backup.db");
    let stop = AtomicBool::new(false);
    // Webhooks keep arriving (each stored and fsynced before LINE hears
    // back) for as long as the backup runs.
    let load = async {
        let mut n = 0u32;
        while !stop.load(Ordering::Relaxed) || n < 20 {
            let event = w.line.text_event(crate::world::USER, &format!("hello {n}"));
            let (status, _) = w.deliver(&[event]).await;
            assert_eq!(status, 200);
            n += 1;
        }
        n
    };
    let backup = async {
        // Some rows first, so the copy has something to prove.
        crate::world::until(10, "events stored", || async {
            rows(&w, "SELECT COUNT(*) FROM inbox").await >= 10
        })
        .await;
        let before = rows(&w, "SELECT COUNT(*) FROM inbox").await;
        let config = config.clone();
        let copy = copy.clone();
        let out =
            tokio::task::spawn_blocking(move || run(&["backup", copy.to_str().unwrap()], &config))
                .await
                .unwrap();
        stop.store(true, Ordering::Relaxed);
        (before, out)
    };
    let (sent, (before, out)) = tokio::join!(load, backup);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("整合性チェックも問題ありません")
            && said.contains("戻すには：サービスを止め"),
        "{said}"
    );

    let mode = std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the copy holds staff and queues: owner-only");
    assert!(
        !w.dir.path().join("backup.db-wal").exists(),
        "one self-contained file"
    );
    let c =
        rusqlite::Connection::open_with_flags(&copy, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let check: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let copied: i64 = c
        .query_row("SELECT COUNT(*) FROM inbox", [], |r| r.get(0))
        .unwrap();
    assert!(
        copied >= before,
        "the copy has {copied} events, {before} were committed before"
    );
    assert!(copied <= i64::from(sent), "{copied} > {sent}");

    // A second backup to the same name is refused, the first left whole.
    let again = run(&["backup", copy.to_str().unwrap()], &config);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
}
