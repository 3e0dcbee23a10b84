//! The whole stack through nginx: HTTPS only, both users, persistence across down and up,
//! a new port, a recreated WordPress, the page cache, wp-cron, and login floods.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use inception_mariadb::events;
use inception_tests::*;

#[test]
fn the_site_is_served_over_https_only_with_both_users_working() {
    let stack = Stack::new("stack");
    stack.up(&[]);
    let web = stack.https();
    let (port, domain) = (stack.port(), stack.domain().to_owned());

    // The front page: installed, titled, over HTTP/2 with HSTS.
    let home = web.get("/");
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(home.body.contains("Inception E2E"));
    assert!(!home.body.contains("wp-admin/install.php"));
    assert!(home.headers.starts_with("http/2 200"), "{}", home.headers);
    assert!(home.headers.contains("strict-transport-security: max-age="));
    assert!(
        !home.headers.contains("server: nginx/"),
        "server_tokens must be off"
    );

    // TLS 1.2 and 1.3 only.
    assert!(tls_handshake(port, &domain, "-tls1_3"), "TLS 1.3 refused");
    assert!(tls_handshake(port, &domain, "-tls1_2"), "TLS 1.2 refused");
    assert!(!tls_handshake(port, &domain, "-tls1_1"), "TLS 1.1 accepted");
    assert!(!tls_handshake(port, &domain, "-tls1"), "TLS 1.0 accepted");

    // Plain HTTP gets no answer on the HTTPS port, and nothing listens on port 80.
    let o = run(std::process::Command::new("curl")
        .args(["-s", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}"])
        .arg(format!("http://127.0.0.1:{port}/")));
    assert_eq!(stdout(&o), "000", "plain HTTP was answered");
    let tcp = stdout(&stack.exec("nginx", &["cat", "/proc/net/tcp", "/proc/net/tcp6"]));
    let listening: BTreeSet<u16> = tcp
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.get(3) == Some(&"0A"))
                .then(|| u16::from_str_radix(f[1].rsplit(':').next()?, 16).ok())
                .flatten()
        })
        .collect();
    assert!(
        !listening.contains(&80),
        "something listens on port 80: {listening:?}"
    );
    assert!(listening.contains(&443));
    // What an evaluator types: `ss` shows php-fpm's master on 9000 in wordpress.
    let ss = stdout(&stack.exec("wordpress", &["ss", "-tlnp"]));
    assert!(
        ss.lines().any(|l| l.starts_with("LISTEN")
            && l.contains(":9000 ")
            && l.contains("\"php-fpm8.2\"")),
        "php-fpm on 9000 not in ss -tlnp:\n{ss}"
    );

    // Without the bonus services, their paths say so (not nginx's 502).
    for path in ["/site/", "/adminer/"] {
        let r = web.get(path);
        assert_eq!(
            (r.status, r.body.as_str()),
            (404, "bonus service not running: make bonus\n"),
            "{path}"
        );
    }

    // Only nginx publishes a port, and only the HTTPS one.
    for s in stack.services(false) {
        let s = s.as_str();
        let ports = inspect(
            &stack.container(s),
            "{{range $p, $b := .NetworkSettings.Ports}}{{if $b}}{{$p}} {{end}}{{end}}",
        );
        let expected = if s == "nginx" { "443/tcp" } else { "" };
        assert_eq!(ports.trim(), expected, "{s} publishes {ports}");
    }
    // Images named after their services, never latest; one custom network, not the host's.
    for s in MANDATORY {
        let c = stack.container(s);
        assert_eq!(inspect(&c, "{{.Config.Image}}"), image(s));
        let nets = inspect(
            &c,
            "{{range $n, $_ := .NetworkSettings.Networks}}{{$n}} {{end}}",
        );
        assert_eq!(nets.trim(), format!("{}_inception", stack.project), "{s}");
        assert_eq!(
            inspect(&c, "{{.HostConfig.NetworkMode}}"),
            format!("{}_inception", stack.project)
        );
    }
    // The volumes' data is under the data directory.
    assert!(stack.data().join("mariadb/mysql").is_dir());
    assert!(stack.data().join("wordpress/wp-config.php").is_file());
    let tables = stack.sql("SHOW TABLES FROM wordpress");
    for t in ["wp_posts", "wp_users", "wp_comments", "wp_options"] {
        assert!(tables.lines().any(|l| l == t), "missing {t}: {tables}");
    }
    // The stack keeps root local (MARIADB_ROOT_HOST=localhost in docker-compose.yml).
    assert_eq!(
        stack
            .sql("SELECT Host FROM mysql.user WHERE User = 'root'")
            .trim(),
        "localhost"
    );

    // The administrator logs in (a password full of special characters) and edits a page.
    let admin = stack.https();
    assert!(
        admin.login("webmaster", &stack.secret("wp_admin_password")),
        "admin cannot log in"
    );
    let dash = admin.get("/wp-admin/");
    assert_eq!(dash.status, 200);
    assert!(dash.body.contains("Dashboard"));
    admin.edit_sample_page("Edited by the end-to-end suite");
    let page = web.request("/?page_id=2", &["-L"]);
    assert!(
        page.body.contains("Edited by the end-to-end suite"),
        "the edit does not show"
    );

    // A wrong password is refused.
    assert!(!stack.https().login("webmaster", "wrong"));

    // The second user comments; the comment appears on the post.
    stack.comment("A comment from the writer");
    let post = web.request("/?p=1", &["-L"]);
    assert!(
        post.body.contains("A comment from the writer"),
        "the comment does not show"
    );
}

#[test]
fn everything_persists_across_down_and_up() {
    let stack = Stack::new("persist");
    stack.up(&[]);
    stack.comment("Still here after down and up");
    let users = stack.sql("SELECT user_login FROM wordpress.wp_users ORDER BY ID");
    stack.compose_ok(&["down"]);
    stack.up(&[]);
    let post = stack.https().request("/?p=1", &["-L"]);
    assert!(post.body.contains("Still here after down and up"));
    assert_eq!(
        stack.sql("SELECT user_login FROM wordpress.wp_users ORDER BY ID"),
        users
    );
    // The new container found the database and did not initialise it again: the first
    // message says so, and the second, which would mean it did, is absent.
    let mariadb = logs(&stack.container("mariadb"));
    assert!(mariadb.contains(events::DATABASE_PRESENT), "{mariadb}");
    assert!(!mariadb.contains(events::FIRST_START_COMPLETE), "{mariadb}");
}

#[test]
fn a_new_https_port_takes_one_setting_and_a_restart() {
    let mut stack = Stack::new("port");
    stack.up(&[]);
    let old = stack.port();
    let new = free_port();
    stack.set("HTTPS_PORT", &new.to_string());
    stack.up(&[]);
    let home = stack.https().get("/");
    assert_eq!(home.status, 200);
    let link = format!("https://{}:{new}/", stack.domain());
    assert!(home.body.contains(&link), "links do not point to {link}");
    assert!(!home.body.contains(&format!(":{old}/")));
    let login = stack.https().request("/wp-admin/", &[]);
    assert!(
        login.headers.contains(&format!(
            "location: https://{}:{new}/wp-login.php",
            stack.domain()
        )),
        "{}",
        login.headers
    );
}

#[test]
fn nginx_reaches_a_recreated_wordpress_at_its_new_address() {
    let stack = Stack::new("upstream");
    // Without the replica: only the recreated wordpress can answer.
    stack.up(&["nginx", "wordpress", "mariadb"]);
    let wp = stack.container("wordpress");
    let old_ip = inspect(
        &wp,
        "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
    );
    stack.compose_ok(&["rm", "-s", "-f", "wordpress"]);
    // Another container takes the next free address first, so that wordpress gets a new one.
    let net = format!("{}_inception", stack.project);
    let squatter = Container::run(
        &unique("squatter"),
        &["--network", &net, image("mariadb"), "sleep", "300"],
    );
    stack.compose_ok(&["up", "-d", "--no-build", "--no-deps", "wordpress"]);
    stack.wait_healthy("wordpress");
    let new_ip = inspect(
        &wp,
        "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
    );
    assert_ne!(old_ip, new_ip);
    let t = Instant::now();
    let web = stack.https();
    let ok = wait_until(Duration::from_secs(30), || web.get("/").status == 200);
    eprintln!(
        "nginx served again {:?} after wordpress was healthy",
        t.elapsed()
    );
    assert!(
        ok,
        "nginx never reached the new wordpress\n{}",
        stack.all_logs()
    );
    assert_eq!(inspect(&stack.container("nginx"), "{{.RestartCount}}"), "0");
    drop(squatter);
}

#[test]
fn anonymous_pages_are_micro_cached_and_sessions_never_are() {
    let stack = Stack::new("cache");
    stack.up(&[]);
    let web = stack.https();
    let status = |r: &Reply| {
        r.headers
            .lines()
            .find_map(|l| l.strip_prefix("x-cache: "))
            .unwrap_or("none")
            .trim()
            .to_owned()
    };
    // Two requests within the second: the second comes from the cache.
    let hit = wait_until(Duration::from_secs(10), || {
        web.get("/");
        status(&web.get("/")) == "hit"
    });
    assert!(hit, "anonymous front page never cached");

    // A logged-in user bypasses it, and what they see is never served to anybody else.
    let admin = stack.https();
    assert!(admin.login("webmaster", &stack.secret("wp_admin_password")));
    for _ in 0..2 {
        let page = admin.get("/");
        assert_eq!(status(&page), "bypass");
        assert!(
            page.body.contains("wpadminbar"),
            "the admin's page has no toolbar"
        );
    }
    assert!(
        !web.get("/").body.contains("wpadminbar"),
        "an admin's page was served to a visitor"
    );
    // Commenters (WordPress remembers them by cookie) and previews bypass it too.
    let commenter = web.request("/", &["-H", "Cookie: comment_author_5f3a=Ann"]);
    assert_eq!(status(&commenter), "bypass", "{}", commenter.headers);
    let preview = web.request("/?p=1&preview=true", &[]);
    assert_eq!(status(&preview), "bypass", "{}", preview.headers);
    // Neither the dashboard nor a POST is cached.
    let dash = admin.get("/wp-admin/");
    assert_eq!(status(&dash), "bypass", "{}", dash.headers);
    // POSTs never reach the cache (nginx caches GET and HEAD only): twice, never a hit.
    for _ in 0..2 {
        let post = web.request("/", &["-d", "x=1"]);
        assert_eq!(post.status, 200);
        assert!(
            !["hit", "stale", "updating"].contains(&status(&post).as_str()),
            "{}",
            post.headers
        );
    }

    // A change shows to visitors within seconds.
    web.request("/?page_id=2", &["-L"]);
    admin.edit_sample_page("Fresh after the edit");
    let t = Instant::now();
    let fresh = wait_until(Duration::from_secs(10), || {
        web.request("/?page_id=2", &["-L"])
            .body
            .contains("Fresh after the edit")
    });
    assert!(fresh, "the edit never reached visitors");
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "stale for {:?}",
        t.elapsed()
    );
}

#[test]
fn wordpress_reaches_its_own_url_so_wp_cron_runs() {
    // WP-Cron runs when a page view makes WordPress request https://DOMAIN:PORT/wp-cron.php
    // from inside its container (here on a port other than 443); the install schedules
    // events that are due at once, so the first views start a run.
    let stack = Stack::new("cron");
    stack.up(&[]);
    let visitor = stack.https();
    let nginx = stack.container("nginx");
    let ran = wait_until(Duration::from_secs(60), || {
        visitor.request("/", &["-H", "Cookie: wordpress_no_cache=1"]);
        // The request comes from the wordpress container, not from this host's client.
        stdout(&docker(&["logs", &nginx])).lines().any(|l| {
            l.contains("\"POST /wp-cron.php?doing_wp_cron=")
                && l.contains("\" 200 ")
                && l.contains("\"WordPress/")
        })
    });
    assert!(
        ran,
        "WordPress's request for wp-cron.php never reached nginx\n{}",
        stack.all_logs()
    );
}

#[test]
fn login_floods_get_429_xmlrpc_is_off_unless_asked_and_users_are_not_enumerable() {
    let mut stack = Stack::new("abuse");
    stack.up(&[]);
    let web = stack.https();

    // 50 password guesses in a row: the first pass (a burst no person reaches), then 429.
    let statuses: Vec<u16> = (0..50)
        .map(|i| {
            let pwd = format!("pwd=guess-{i}");
            web.request("/wp-login.php", &["-d", "log=webmaster", "-d", &pwd])
                .status
        })
        .collect();
    let limited = statuses.iter().filter(|&&s| s == 429).count();
    assert!(
        statuses[..10].iter().all(|&s| s != 429),
        "limited too early: {statuses:?}"
    );
    assert!(limited >= 25, "{limited} of 50 refused: {statuses:?}");
    // A person logging in a little later gets in (the limit refills, one login per 5 s).
    let admin = stack.https();
    let password = stack.secret("wp_admin_password");
    assert!(
        wait_until(Duration::from_secs(30), || admin
            .login("webmaster", &password)),
        "the administrator cannot log in after the flood"
    );
    // Reading the login page is never limited.
    assert_eq!(web.get("/wp-login.php").status, 200);

    // User enumeration.
    assert_eq!(web.get("/?author=1").status, 403);
    assert_eq!(web.get("/index.php?x=1&author=1").status, 403);
    assert_eq!(web.get("/wp-json/wp/v2/users").status, 403);
    assert_eq!(web.get("/?rest_route=/wp/v2/users").status, 403);
    assert_eq!(web.get("/wp-json/wp/v2/posts").status, 200);

    // XML-RPC: refused by default, served with WP_XMLRPC=1.
    let call = [
        "-H",
        "Content-Type: text/xml",
        "-d",
        "<?xml version=\"1.0\"?><methodCall><methodName>demo.sayHello</methodName></methodCall>",
    ];
    assert_eq!(web.request("/xmlrpc.php", &call).status, 403);
    stack.set("WP_XMLRPC", "1");
    stack.up(&["nginx"]);
    let reply = stack.https().request("/xmlrpc.php", &call);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body.contains("Hello!"), "{}", reply.body);
}
