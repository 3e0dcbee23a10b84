//! Bonus services: the static site and Adminer, through nginx on the HTTPS port.

use inception_tests::*;

#[test]
fn the_static_site_and_adminer_are_served_through_nginx() {
    let stack = Stack::bonus("bonus");
    let web = stack.https();

    // The static site: its page, no PHP anywhere in its container.
    let page = web.get("/site/");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<h1>Inception</h1>"));
    assert_eq!(web.get("/site").status, 301);
    let php = stack.exec(
        "site",
        &["sh", "-c", "command -v php php-fpm8.2 || echo none"],
    );
    assert_eq!(stdout(&php).trim(), "none");
    assert_eq!(
        stack
            .exec("site", &["inception-site", "health"])
            .status
            .code(),
        Some(0)
    );
    // Its nginx's check, typed in the container, tests the configuration it runs with.
    let o = stack.exec("site", &["nginx", "-t"]);
    assert!(
        o.status.success() && stderr(&o).contains("/etc/nginx/nginx.conf test is successful"),
        "{}",
        stderr(&o)
    );

    // Adminer: php-fpm's check, typed in the container, passes.
    let o = stack.exec("adminer", &["php-fpm8.2", "-t"]);
    assert!(
        o.status.success() && stderr(&o).contains("test is successful"),
        "{}",
        stderr(&o)
    );

    // Adminer: the login page renders, and the WordPress database user logs in.
    let login = web.get("/adminer/");
    assert_eq!(login.status, 200);
    assert!(login.body.contains("Adminer"), "no Adminer login page");
    let (status, tables) = adminer_login(&stack, &stack.secret("db_password"));
    assert_eq!(status, 302, "login refused: {tables}");
    assert!(
        tables.contains("wp_posts"),
        "the WordPress tables are not listed"
    );
    // A wrong password is refused: no tables for that session.
    let (_, tables) = adminer_login(&stack, "wrong");
    assert!(
        !tables.contains("wp_posts"),
        "a wrong password was accepted"
    );
}

/// Logs into Adminer as WordPress's database user with `password`, in a new session: the
/// login's status, then the page of the WordPress database in that session.
fn adminer_login(stack: &Stack, password: &str) -> (u16, String) {
    let session = stack.https();
    session.get("/adminer/");
    let login = session.request(
        "/adminer/",
        &[
            "--data-urlencode",
            "auth[driver]=server",
            "--data-urlencode",
            "auth[server]=mariadb",
            "--data-urlencode",
            "auth[username]=wordpress",
            "--data-urlencode",
            &format!("auth[password]={password}"),
            "--data-urlencode",
            "auth[db]=wordpress",
        ],
    );
    let db = session.request(
        "/adminer/?server=mariadb&username=wordpress&db=wordpress",
        &[],
    );
    (login.status, db.body)
}

/// Redis's keyspace hits so far.
fn redis_hits(stack: &Stack) -> u64 {
    let pwd = stack.secret("redis_password");
    let o = docker(&[
        "exec",
        "-e",
        &format!("REDISCLI_AUTH={pwd}"),
        &stack.container("redis"),
        "redis-cli",
        "INFO",
        "stats",
    ]);
    stdout(&o)
        .lines()
        .find_map(|l| l.strip_prefix("keyspace_hits:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no keyspace_hits in {}{}", stdout(&o), stderr(&o)))
}

#[test]
fn redis_serves_wordpress_object_cache_hits_and_is_optional() {
    let stack = Stack::bonus("redis");
    assert_eq!(
        stack
            .exec("redis", &["inception-redis", "health"])
            .status
            .code(),
        Some(0)
    );
    let web = stack.https();
    // Past nginx's page cache, so that every request runs WordPress.
    let page = || web.request("/", &["-H", "Cookie: wordpress_no_cache=1"]);
    page();
    let before = redis_hits(&stack);
    let warm = page();
    assert_eq!(warm.status, 200);
    assert!(
        redis_hits(&stack) > before,
        "no keyspace hits after a warm page view"
    );
    let report = warm
        .body
        .lines()
        .find(|l| l.contains("object cache:"))
        .unwrap_or_default()
        .to_owned();
    assert!(report.contains("object cache: redis,"), "{report}");
    let hits: u64 = report
        .split(", ")
        .nth(1)
        .and_then(|h| h.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(hits > 0, "WordPress reports no cache hits: {report}");

    // Without redis, WordPress keeps serving from memory.
    stack.compose_ok(&["stop", "redis"]);
    let degraded = page();
    assert_eq!(degraded.status, 200, "{}", degraded.body);
    assert!(
        degraded
            .body
            .contains("object cache: memory only (redis unavailable)")
    );
    stack.compose_ok(&["start", "redis"]);
    stack.wait_healthy("redis");
    // Redis is tried again at most 10 s after the last failure.
    let back = wait_until(std::time::Duration::from_secs(20), || {
        page().body.contains("object cache: redis,")
    });
    assert!(back, "WordPress never went back to redis");
}

#[test]
fn a_backup_brings_back_a_deleted_post_and_upload_and_a_missing_id_changes_nothing() {
    let stack = Stack::bonus("backup");
    let uploads = stack.data().join("wordpress/wp-content/uploads");
    std::fs::create_dir_all(&uploads).unwrap();
    std::fs::write(uploads.join("e2e-upload.txt"), "an uploaded file").unwrap();

    let o = stack.exec("backup", &["inception-backup", "backup"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let id = stdout(&o).trim().to_owned();
    assert!(stdout(&stack.exec("backup", &["inception-backup", "list"])).contains(&id));
    let listed: serde_json::Value = serde_json::from_str(&stdout(
        &stack.exec("backup", &["inception-backup", "list", "--json"]),
    ))
    .expect("list --json is not JSON");
    let entry = &listed[0];
    assert_eq!(entry["id"], id.as_str(), "{listed}");
    assert_eq!(entry["database"], "wordpress", "{listed}");
    assert!(entry["dump_bytes"].as_u64().unwrap() > 1000, "{listed}");
    assert!(entry["archive_bytes"].as_u64().unwrap() > 1000, "{listed}");
    assert!(
        stack
            .data()
            .join("backups")
            .join(&id)
            .join("database.sql")
            .is_file()
    );

    // Deleted through WordPress, as its author would: the object cache forgets it too (the
    // monitoring's probes keep the front page, and this post, in the cache).
    let o = stack.exec("wordpress", &["wp", "post", "delete", "1", "--force"]);
    assert!(o.status.success(), "wp post delete: {}", stderr(&o));
    std::fs::remove_file(uploads.join("e2e-upload.txt")).unwrap();
    let web = stack.https();
    assert!(wait_until(std::time::Duration::from_secs(10), || web
        .get("/?p=1")
        .status
        == 404));

    // An id that does not exist: a clear error, and nothing changes.
    let o = stack.exec(
        "backup",
        &["inception-backup", "restore", "20000101T000000Z"],
    );
    assert_exit(&o, 1, "no backup \"20000101T000000Z\"");
    assert_eq!(
        stack
            .sql("SELECT COUNT(*) FROM wordpress.wp_posts WHERE ID = 1")
            .trim(),
        "0"
    );

    let o = stack.exec("backup", &["inception-backup", "restore", &id]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stack
            .sql("SELECT COUNT(*) FROM wordpress.wp_posts WHERE ID = 1")
            .trim(),
        "1"
    );
    // /?p=1 redirects to the post's pretty permalink, which must answer again.
    let back = wait_until(std::time::Duration::from_secs(10), || {
        web.request("/?p=1", &["-L"]).status == 200
    });
    let last = web.request("/?p=1", &["-L"]);
    assert!(
        back,
        "the restored post does not show: {} {}\n{}",
        last.status,
        last.headers,
        logs(&stack.container("backup"))
    );
    assert_eq!(
        web.get("/wp-content/uploads/e2e-upload.txt").body,
        "an uploaded file"
    );
}

#[test]
fn an_ftps_upload_reaches_wordpress_and_plain_ftp_is_refused() {
    let stack = Stack::bonus("ftp");
    let ftp = format!("ftp://127.0.0.1:{}/", stack.env["FTP_PORT"]);
    let login = format!("wpftp:{}", stack.secret("ftp_password"));
    let file = stack.dir.path().join("upload.txt");
    std::fs::write(&file, "uploaded over FTPS").unwrap();
    // curl as the FTP user: `tls` (explicit FTPS, any certificate) or nothing, then `args`.
    let curl = |tls: &[&str], args: &[&str]| {
        run(std::process::Command::new("curl")
            .args(["-sS"])
            .args(tls)
            .args(["-m", "30", "--user", &login])
            .args(args))
    };
    let ftps = ["--ssl-reqd", "-k"];

    // Explicit FTPS: the upload lands in the WordPress files, owned by WordPress.
    let o = curl(
        &ftps,
        &[
            "--ftp-create-dirs",
            "-T",
            &file.to_string_lossy(),
            &format!("{ftp}wp-content/uploads/ftps-e2e.txt"),
        ],
    );
    assert!(
        o.status.success(),
        "FTPS upload failed: {}\n{}",
        stderr(&o),
        logs(&stack.container("ftp"))
    );
    let web = stack.https();
    assert_eq!(
        web.get("/wp-content/uploads/ftps-e2e.txt").body,
        "uploaded over FTPS"
    );
    let meta = std::fs::metadata(
        stack
            .data()
            .join("wordpress/wp-content/uploads/ftps-e2e.txt"),
    )
    .unwrap();
    assert_eq!(
        std::os::unix::fs::MetadataExt::uid(&meta),
        33,
        "not owned by www-data"
    );
    // Chrooted: the root it sees is the WordPress files.
    let o = curl(&ftps, &["--list-only", &ftp]);
    assert!(
        stdout(&o).lines().any(|l| l.trim_end() == "wp-config.php"),
        "{}{}",
        stdout(&o),
        stderr(&o)
    );

    // Plain FTP: the login is refused.
    let o = curl(&[], &["--list-only", &ftp]);
    assert!(!o.status.success(), "plain FTP login accepted");
    assert_eq!(
        stack
            .exec("ftp", &["inception-ftp", "health"])
            .status
            .code(),
        Some(0)
    );
}

/// `make bonus` and then `make`, typed as a user would (no BONUS=, nothing in the
/// environment about redis): the first gives WordPress its object cache, the second takes
/// the bonus services and the object cache away again.
#[test]
fn make_bonus_gives_wordpress_the_object_cache_and_make_takes_it_away() {
    let mut stack = Stack::new("make-bonus");
    // make's provisioning adds a hosts entry for the domain: one name for every run.
    stack.set("DOMAIN_NAME", "inception-e2e.42.fr");
    let make = |target: &str| {
        let o = run(stack
            .make_command(target)
            .env_remove("WP_REDIS_HOST")
            .env_remove("COMPOSE_PROFILES"));
        assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    };
    let wordpress_redis_host = || {
        stdout(&stack.exec("wordpress", &["printenv", "WP_REDIS_HOST"]))
            .trim()
            .to_owned()
    };
    let web = stack.https();
    // The front page past nginx's cache, which WordPress must have rendered whole.
    let page = || {
        let r = web.request("/", &["-H", "Cookie: wordpress_no_cache=1"]);
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains("</html>"), "{}", r.body);
        r.body
    };

    make("bonus");
    assert_eq!(wordpress_redis_host(), redis_host(true));
    assert!(page().contains("object cache: redis,"));
    assert!(stack.services(false).contains(&"redis".to_owned()));
    assert!(
        stack
            .services(false)
            .contains(&"wordpress-replica".to_owned())
    );

    // The mandatory part is exactly the subject's three containers.
    make("all");
    assert_eq!(wordpress_redis_host(), redis_host(false));
    assert!(!page().contains("object cache:"));
    assert_eq!(stack.services(true), sorted(&MANDATORY));
}

/// As with the official redis image: `--version` prints without a password or any setup.
#[test]
fn redis_version_prints_without_a_password_or_setup() {
    let o = docker(&["run", "--rm", image("redis"), "--version"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).starts_with("Redis server v="), "{}", stdout(&o));
}
