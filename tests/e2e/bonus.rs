//! Bonus services: the static site and Adminer, through nginx on the HTTPS port.

use inception_tests::*;

#[test]
fn the_static_site_and_adminer_are_served_through_nginx() {
    let mut stack = Stack::new("bonus");
    stack.set("COMPOSE_PROFILES", "bonus");
    stack.up(&[]);
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

    // Adminer: the login page renders, and the WordPress database user logs in.
    let login = web.get("/adminer/");
    assert_eq!(login.status, 200);
    assert!(login.body.contains("Adminer"), "no Adminer login page");
    let admin = stack.https();
    admin.get("/adminer/");
    let password = stack.secret("db_password");
    let r = admin.request(
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
    assert_eq!(r.status, 302, "login refused: {}", r.body);
    let db = admin.request(
        "/adminer/?server=mariadb&username=wordpress&db=wordpress",
        &[],
    );
    assert!(
        db.body.contains("wp_posts"),
        "the WordPress tables are not listed"
    );
    // A wrong password is refused: no tables for that session.
    let intruder = stack.https();
    intruder.get("/adminer/");
    intruder.request(
        "/adminer/",
        &[
            "--data-urlencode",
            "auth[driver]=server",
            "--data-urlencode",
            "auth[server]=mariadb",
            "--data-urlencode",
            "auth[username]=wordpress",
            "--data-urlencode",
            "auth[password]=wrong",
            "--data-urlencode",
            "auth[db]=wordpress",
        ],
    );
    let denied = intruder.request(
        "/adminer/?server=mariadb&username=wordpress&db=wordpress",
        &[],
    );
    assert!(
        !denied.body.contains("wp_posts"),
        "a wrong password was accepted"
    );
}
