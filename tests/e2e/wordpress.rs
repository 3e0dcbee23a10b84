//! The wordpress image with mariadb (compose services of a throwaway stack, or docker run).

use std::time::{Duration, Instant};

use inception_core::probe::fastcgi;
use inception_tests::*;

/// GET `path` from php-fpm directly over FastCGI, as nginx would: `script` runs it.
fn fastcgi_get(stack: &Stack, path: &str, script: &str) -> fastcgi::Response {
    let ip = inspect(
        &stack.container("wordpress"),
        "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
    );
    let site = inception_core::config::Site {
        domain: stack.domain().to_owned(),
        https_port: stack.port(),
    };
    let get = fastcgi::Get {
        document_root: "/var/www/html",
        script,
        uri: path,
        site: Some(&site),
        cookie: "",
    };
    inception_core::rt::run(get.send(&format!("{ip}:9000"), Duration::from_secs(30)))
        .expect("FastCGI request failed")
}

/// Users and their roles, as WordPress stores them.
fn users(stack: &Stack) -> String {
    stack.sql(
        "SELECT u.user_login, m.meta_value FROM wordpress.wp_users u JOIN wordpress.wp_usermeta m \
         ON m.user_id = u.ID AND m.meta_key = 'wp_capabilities' ORDER BY u.ID",
    )
}

/// The users table, after asserting that it holds the administrator and the author.
fn both_accounts(stack: &Stack) -> String {
    let users = users(stack);
    assert!(
        users.contains("webmaster\ta:1:{s:13:\"administrator\";b:1;}"),
        "{users}"
    );
    assert!(
        users.contains("writer\ta:1:{s:6:\"author\";b:1;}"),
        "{users}"
    );
    users
}

#[test]
fn first_start_installs_the_site_with_both_users() {
    let stack = Stack::new("wp-install");
    stack.up(&["mariadb", "wordpress"]);

    let home = fastcgi_get(&stack, "/", "/index.php");
    let body = String::from_utf8_lossy(&home.body);
    assert_eq!(home.status, 200, "{body}");
    assert!(body.contains("Inception E2E"), "no title on the home page");
    assert!(!body.contains("install.php"), "the installer shows");
    let install = fastcgi_get(&stack, "/wp-admin/install.php", "/wp-admin/install.php");
    assert!(String::from_utf8_lossy(&install.body).contains("Already Installed"));

    let before = both_accounts(&stack);

    // wp-config.php: readable by php-fpm's group only, with the port-less URL for 443.
    let o = stack.exec(
        "wordpress",
        &["stat", "-c", "%U:%G %a", "/var/www/html/wp-config.php"],
    );
    assert_eq!(stdout(&o).trim(), "root:www-data 640");

    // A restart changes nothing: no reinstall, no duplicate users, same salts.
    let salts = stdout(&stack.exec("wordpress", &["cat", "/var/www/html/wp-salts.php"]));
    stack.compose_ok(&["restart", "wordpress"]);
    stack.wait_healthy("wordpress");
    assert_eq!(users(&stack), before);
    assert_eq!(
        stdout(&stack.exec("wordpress", &["cat", "/var/www/html/wp-salts.php"])),
        salts
    );
    // The second start found the site installed and both accounts there: no installer run.
    let logs = logs(&stack.container("wordpress"));
    assert_eq!(
        logs.matches("site installed, both accounts present")
            .count(),
        1,
        "{logs}"
    );

    // A deleted account comes back at the next start; the site is not installed again.
    stack.sql("DELETE FROM wordpress.wp_users WHERE user_login = 'writer'");
    stack.compose_ok(&["restart", "wordpress"]);
    stack.wait_healthy("wordpress");
    let logs = self::logs(&stack.container("wordpress"));
    assert!(logs.contains("user writer created (author)"), "{logs}");
    assert_eq!(logs.matches("site installed:").count(), 1, "{logs}");
    both_accounts(&stack);
}

#[test]
fn the_install_completes_when_the_database_comes_while_wordpress_waits() {
    let stack = Stack::new("wp-late-db");
    stack.compose_ok(&["up", "-d", "--no-build", "--no-deps", "wordpress"]);
    let c = stack.container("wordpress");
    wait_log(&c, "waiting for the database", Duration::from_secs(30));
    assert_eq!(
        inspect(&stack.container("wordpress"), "{{.State.Running}}"),
        "true",
        "{}",
        stack.all_logs()
    );
    stack.compose_ok(&["up", "-d", "--no-build", "mariadb"]);
    stack.wait_healthy("wordpress");
    assert!(users(&stack).contains("writer"));
    assert_eq!(
        inspect(&stack.container("wordpress"), "{{.RestartCount}}"),
        "0"
    );
}

#[test]
fn without_a_database_it_fails_within_the_bound_naming_host_and_timeout() {
    let mut stack = Stack::new("wp-no-db");
    stack.set("WORDPRESS_DB_WAIT_TIMEOUT", "5");
    let c = stack.container("wordpress");
    let t = Instant::now();
    stack.compose_ok(&["up", "-d", "--no-build", "--no-deps", "wordpress"]);
    // The restart policy brings it back: look at the first exit.
    wait_log(&c, "not ready after 5s", Duration::from_secs(30));
    assert!(
        t.elapsed() < Duration::from_secs(20),
        "took {:?}",
        t.elapsed()
    );
    assert!(
        logs(&c).contains("database at mariadb:3306 not ready after 5s"),
        "{}",
        logs(&c)
    );
}

#[test]
fn an_admin_login_containing_admin_is_refused_before_anything_is_touched() {
    let mut stack = Stack::new("wp-admin-name");
    stack.set("WP_ADMIN_USER", "SiteAdmin");
    stack.compose_ok(&["up", "-d", "--no-build", "--no-deps", "wordpress"]);
    let c = stack.container("wordpress");
    wait_log(&c, "WP_ADMIN_USER is invalid", Duration::from_secs(20));
    let logs = logs(&c);
    assert!(logs.contains("inception-wordpress: error: WP_ADMIN_USER is invalid: the administrator's login must not contain \"admin\""), "{logs}");
    let files = std::fs::read_dir(stack.data().join("wordpress"))
        .unwrap()
        .count();
    assert_eq!(files, 0, "the files volume was touched");
    // Exit code 78, seen while docker waits to restart it (each new run reads 0 until it
    // fails again).
    assert!(
        wait_until(Duration::from_secs(10), || inspect(
            &c,
            "{{.State.ExitCode}}"
        ) == "78"),
        "{}",
        inspect(&c, "{{.State.ExitCode}}")
    );
}

#[test]
fn docker_stop_of_php_fpm_is_graceful_and_quick() {
    let stack = Stack::new("wp-stop");
    stack.up(&["mariadb", "wordpress"]);
    let c = stack.container("wordpress");
    let t = Instant::now();
    docker_ok(&["stop", "-t", "15", &c]);
    let took = t.elapsed();
    eprintln!("wordpress docker stop: {took:?}");
    assert!(took < Duration::from_secs(5), "stop took {took:?}");
    assert_eq!(inspect(&c, "{{.State.ExitCode}}"), "0", "{}", logs(&c));
}
