//! A real browser on a throwaway stack: headless Chromium, driven by Selenium
//! (tests/browser/pages.py), opens the front page, logs in, opens the block editor, the site
//! editor and Dashboard › Updates; none shows a PHP error, and PHP logs none meanwhile.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use inception_tests::*;

/// What PHP writes to the container's log when a page fails or warns.
const PHP_ERRORS: [&str; 3] = ["PHP Fatal error", "PHP Warning", "PHP Parse error"];

/// Debian's packages the script needs that this host lacks (`srcs/tools/provision.sh --tests`
/// installs them).
fn missing_browser() -> Vec<&'static str> {
    let selenium = Command::new("/usr/bin/python3")
        .args(["-c", "import selenium"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let chromium = Path::new("/usr/bin/chromium").exists();
    let driver = Path::new("/usr/bin/chromedriver").exists();
    [
        (chromium, "chromium"),
        (driver, "chromium-driver"),
        (selenium, "python3-selenium"),
    ]
    .into_iter()
    .filter_map(|(present, package)| (!present).then_some(package))
    .collect()
}

/// Runs tests/browser/pages.py with `settings` (JSON, the password among them) on its stdin.
fn browse(settings: &str) -> Output {
    let mut child = Command::new("/usr/bin/python3")
        .arg(repo().join("tests/browser/pages.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot run /usr/bin/python3");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(settings.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn a_real_browser_renders_the_front_page_login_editors_and_updates_without_php_errors() {
    let missing = missing_browser();
    assert!(
        missing.is_empty(),
        "no browser to test with: missing Debian package(s) {} (install them with \
         `srcs/tools/provision.sh --tests`)",
        missing.join(", ")
    );
    let stack = Stack::new("browser");
    stack.up(&[]);
    let wordpress = stack.container("wordpress");

    // The container log from here on is the browsing's.
    let start = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let since = format!("{}.{:09}", start.as_secs(), start.subsec_nanos());
    let settings = serde_json::json!({
        "url": format!("https://{}:{}", stack.domain(), stack.port()),
        "domain": stack.domain(),
        "user": "webmaster",
        "password": stack.secret("wp_admin_password"),
    });
    let o = browse(&settings.to_string());
    let output = format!("{}{}", stdout(&o), stderr(&o));
    println!("{output}");

    let log = docker(&["logs", "--since", &since, &wordpress]);
    let log = format!("{}{}", stdout(&log), stderr(&log));
    let php_errors: Vec<&str> = log
        .lines()
        .filter(|line| PHP_ERRORS.iter().any(|e| line.contains(e)))
        .collect();
    assert!(
        o.status.success(),
        "a page does not render in the browser ({}):\n{output}\n{wordpress}'s log meanwhile:\n{log}",
        o.status
    );
    assert!(
        php_errors.is_empty(),
        "PHP errors in {wordpress}'s log while browsing:\n{}",
        php_errors.join("\n")
    );
}
