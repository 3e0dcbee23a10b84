//! `wp` in the wordpress container, typed as evaluation scripts type it (`docker exec
//! <container> wp …`, no TTY): wp-cli's exit statuses, output shapes and effects, and bad
//! input refused with nothing changed.

use std::process::Output;

use inception_tests::*;

/// `docker exec <wordpress> wp ARGS...`.
fn wp(stack: &Stack, args: &[&str]) -> Output {
    let mut all = vec!["wp"];
    all.extend_from_slice(args);
    stack.exec("wordpress", &all)
}

/// `wp ARGS...`, which must succeed with nothing on stderr; its stdout.
fn wp_ok(stack: &Stack, args: &[&str]) -> String {
    let o = wp(stack, args);
    assert!(
        o.status.success(),
        "wp {args:?}: {}\n{}{}",
        o.status,
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

/// `wp ARGS...`, which must fail with status 1, `Error: …` on stderr and nothing on
/// stdout; its stderr.
fn wp_fails(stack: &Stack, args: &[&str]) -> String {
    let o = wp(stack, args);
    assert_eq!(
        o.status.code(),
        Some(1),
        "wp {args:?}: {}{}",
        stdout(&o),
        stderr(&o)
    );
    assert!(
        stderr(&o).starts_with("Error: "),
        "wp {args:?}: {}",
        stderr(&o)
    );
    assert_eq!(stdout(&o), "", "wp {args:?}");
    stderr(&o)
}

fn comments(stack: &Stack) -> String {
    stack.sql("SELECT comment_ID, comment_content FROM wordpress.wp_comments ORDER BY 1")
}

/// Files of root's in the webroot.
fn root_files(stack: &Stack) -> String {
    stdout(&stack.exec("wordpress", &["find", "/var/www/html", "-user", "root"]))
}

#[test]
fn wp_commands_typed_in_the_container_answer_as_wp_cli() {
    let stack = Stack::new("wp");
    stack.up(&[]);
    let root_before = root_files(&stack);

    // core: installed (status only), its version.
    let o = wp(&stack, &["core", "is-installed", "--allow-root"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    let version = wp_ok(&stack, &["core", "version"]).trim().to_owned();
    assert!(
        version.split('.').count() >= 2 && version.split('.').all(|n| n.parse::<u32>().is_ok()),
        "{version}"
    );

    // options.
    let siteurl = wp_ok(&stack, &["option", "get", "siteurl"]);
    assert_eq!(
        siteurl,
        format!("https://{}:{}\n", stack.domain(), stack.port())
    );
    let status = wp_ok(&stack, &["option", "get", "default_comment_status"]);
    assert_eq!(status, "open\n");

    // users: count, a field, chosen fields as tab-separated values with a header.
    assert_eq!(wp_ok(&stack, &["user", "list", "--format=count"]), "2\n");
    assert_eq!(
        wp_ok(
            &stack,
            &["user", "list", "--role=administrator", "--field=user_login"]
        ),
        "webmaster\n"
    );
    let table = wp_ok(
        &stack,
        &["user", "list", "--fields=ID,user_login,user_email,roles"],
    );
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines[0], "ID\tuser_login\tuser_email\troles", "{table}");
    assert_eq!(lines.len(), 3, "{table}");
    assert!(
        lines[1..]
            .iter()
            .any(|l| l.ends_with("\twebmaster\twebmaster@example.com\tadministrator")),
        "{table}"
    );
    assert!(
        lines[1..]
            .iter()
            .any(|l| l.ends_with("\twriter\twriter@example.com\tauthor")),
        "{table}"
    );
    let json = wp_ok(&stack, &["user", "list", "--format=json"]);
    let users: serde_json::Value = serde_json::from_str(&json).expect(&json);
    assert_eq!(users.as_array().map(Vec::len), Some(2), "{json}");
    assert!(users[0].get("user_login").is_some(), "{json}");
    let csv = wp_ok(
        &stack,
        &["user", "list", "--fields=ID,user_login", "--format=csv"],
    );
    assert!(csv.starts_with("ID,user_login\n"), "{csv}");
    let yaml = wp_ok(
        &stack,
        &["user", "list", "--fields=ID,user_login", "--format=yaml"],
    );
    assert!(
        yaml.starts_with("---\n- \n  ID: 1\n  user_login: "),
        "{yaml}"
    );
    // With a terminal (docker exec -t), wp-cli's bordered table.
    let c = stack.container("wordpress");
    let o = docker(&[
        "exec",
        "-t",
        &c,
        "wp",
        "user",
        "list",
        "--fields=ID,user_login",
    ]);
    let bordered = stdout(&o);
    assert!(bordered.starts_with("+----+"), "{bordered}");
    assert!(bordered.contains("| ID | user_login"), "{bordered}");
    println!("{table}{csv}{yaml}{bordered}");
    // Password hashes are never shown.
    assert!(!json.contains("user_pass") && !json.contains("$wp$") && !json.contains("$P$"));
    wp_fails(&stack, &["user", "list", "--field=user_pass"]);

    // posts: ids of those open to comments, one per line; one post as a table.
    let ids = wp_ok(
        &stack,
        &["post", "list", "--field=ID", "--comment_status=open"],
    );
    assert!(ids.lines().any(|l| l == "1"), "{ids}");
    assert!(ids.lines().all(|l| l.parse::<u64>().is_ok()), "{ids}");
    let posts = wp_ok(&stack, &["post", "list", "--posts_per_page=1"]);
    let lines: Vec<&str> = posts.lines().collect();
    assert_eq!(
        lines[0], "ID\tpost_title\tpost_name\tpost_date\tpost_status",
        "{posts}"
    );
    assert_eq!(lines.len(), 2, "{posts}");
    assert!(lines[1].ends_with("\tpublish"), "{posts}");

    // comments: created, shown on the post, listed, deleted.
    let text = format!("typed by wp {}", unique("comment"));
    let created = wp_ok(
        &stack,
        &[
            "comment",
            "create",
            "--comment_post_ID=1",
            &format!("--comment_content={text}"),
            "--comment_author=Evaluator",
            "--comment_author_email=evaluator@example.com",
        ],
    );
    let id = created
        .trim()
        .strip_prefix("Success: Created comment ")
        .and_then(|s| s.strip_suffix('.'))
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();
    assert!(id.parse::<u64>().is_ok(), "{created}");
    assert!(
        stack.comment_shows(&text),
        "comment {id} not on the post page"
    );
    let ids = wp_ok(&stack, &["comment", "list", "--post_id=1", "--format=ids"]);
    assert_eq!(ids.lines().count(), 1, "{ids:?}");
    assert!(
        ids.split_whitespace().all(|i| i.parse::<u64>().is_ok()),
        "{ids:?}"
    );
    assert!(ids.split_whitespace().any(|i| i == id), "{ids:?}");

    // Bad input: an error, status 1, nothing changed.
    let before = comments(&stack);
    let e = wp_fails(&stack, &["plugin", "list"]);
    assert!(
        e.contains("'plugin list' is not a supported wp command here. Supported:")
            && e.contains("comment delete"),
        "{e}"
    );
    wp_fails(&stack, &["option", "get"]);
    wp_fails(&stack, &["comment", "delete", "--force"]);
    let e = wp_fails(&stack, &["comment", "delete", "999999", "--force"]);
    assert!(e.contains("999999"), "{e}");
    let e = wp_fails(&stack, &["comment", "delete", &id, "999999", "--force"]);
    assert!(e.contains("999999"), "{e}");
    let e = wp_fails(
        &stack,
        &[
            "comment",
            "create",
            "--comment_post_ID=999999",
            "--comment_content=never",
        ],
    );
    assert!(e.contains("999999"), "{e}");
    assert_eq!(comments(&stack), before);

    assert_eq!(
        wp_ok(&stack, &["comment", "delete", &id, "--force"]),
        format!("Success: Deleted comment {id}.\n")
    );
    let left = stack.sql(&format!(
        "SELECT COUNT(*) FROM wordpress.wp_comments WHERE comment_ID = {id}"
    ));
    assert_eq!(left.trim(), "0");

    // The database, the configuration's path, the versions.
    let check = wp_ok(&stack, &["db", "check"]);
    println!("{check}");
    let lines: Vec<&str> = check.lines().collect();
    assert_eq!(lines.last(), Some(&"Success: Database checked."), "{check}");
    assert!(lines.len() >= 12, "{check}");
    for line in &lines[..lines.len() - 1] {
        assert!(
            line.starts_with("wordpress.wp_") && line.ends_with(" OK"),
            "{check}"
        );
    }
    assert_eq!(
        wp_ok(&stack, &["config", "path"]),
        "/var/www/html/wp-config.php\n"
    );
    let v = wp_ok(&stack, &["--version"]);
    assert!(v.contains(&format!("WordPress {version}")), "{v}");

    // Called by root, it works as www-data: it left no file of root's in the webroot.
    assert_eq!(root_files(&stack), root_before);
}
