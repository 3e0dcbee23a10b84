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
    let e = wp_fails(&stack, &["plugin", "update", "akismet"]);
    assert!(
        e.contains("'plugin update' is not a supported wp command here. Supported:")
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

/// The id in `Success: Created <what> <id>.`
fn created_id(out: &str, what: &str) -> String {
    out.trim()
        .strip_prefix(&format!("Success: Created {what} "))
        .and_then(|s| s.strip_suffix('.'))
        .filter(|id| id.parse::<u64>().is_ok())
        .unwrap_or_else(|| panic!("{out}"))
        .to_owned()
}

#[test]
fn wp_manages_options_users_posts_plugins_and_the_database_as_wp_cli() {
    let stack = Stack::new("wp-manage");
    stack.up(&[]);
    let web = stack.https();
    let root_before = root_files(&stack);

    // options: updated (then unchanged), listed by a pattern.
    let tagline = unique("tagline");
    assert_eq!(
        wp_ok(&stack, &["option", "update", "blogdescription", &tagline]),
        "Success: Updated 'blogdescription' option.\n"
    );
    assert_eq!(
        wp_ok(&stack, &["option", "update", "blogdescription", &tagline]),
        "Success: Value passed for 'blogdescription' option is unchanged.\n"
    );
    // The front page's title carries the tagline.
    assert!(wait_until(std::time::Duration::from_secs(30), || web
        .request("/", &["-H", "Cookie: wordpress_no_cache=1"])
        .body
        .contains(&tagline)));
    let listed = wp_ok(
        &stack,
        &["option", "list", "--search=blog*", "--format=json"],
    );
    let options: serde_json::Value = serde_json::from_str(&listed).expect(&listed);
    let names: Vec<&str> = options
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["option_name"].as_str())
        .collect();
    assert!(
        names.contains(&"blogname") && names.contains(&"blogdescription"),
        "{listed}"
    );
    assert!(names.iter().all(|n| n.starts_with("blog")), "{listed}");
    wp_fails(&stack, &["option", "update", "blogdescription"]);

    // The configuration: values, never secrets.
    assert_eq!(wp_ok(&stack, &["config", "get", "DB_NAME"]), "wordpress\n");
    assert_eq!(wp_ok(&stack, &["config", "get", "table_prefix"]), "wp_\n");
    let password = stack.secret("db_password");
    let e = wp_fails(&stack, &["config", "get", "DB_PASSWORD"]);
    assert!(e.contains("secret") && e.contains("/run/secrets/"), "{e}");
    let config = wp_ok(&stack, &["config", "list", "--format=csv"]);
    assert!(config.starts_with("name,value,type\n"), "{config}");
    assert!(
        config.contains("\nDB_NAME,wordpress,constant\n"),
        "{config}"
    );
    assert!(
        config.contains("\nDB_PASSWORD,\"(secret, not shown)\",constant\n"),
        "{config}"
    );
    assert!(
        !config.contains(password.trim()),
        "the database password is shown"
    );
    let salt = stdout(&stack.exec(
        "wordpress",
        &[
            "php",
            "-r",
            "include '/var/www/html/wp-salts.php'; echo AUTH_KEY;",
        ],
    ));
    assert!(salt.len() > 20 && !config.contains(&salt), "{config}");

    // users: created with a role and a password they log in with, changed, removed.
    let login = unique("evaluator").replace(['-', '_'], "");
    let email = format!("{login}@example.com");
    let id = wp_ok(
        &stack,
        &[
            "user",
            "create",
            &login,
            &email,
            "--role=editor",
            "--user_pass=first pass 1",
            "--porcelain",
        ],
    )
    .trim()
    .to_owned();
    assert!(id.parse::<u64>().is_ok(), "{id}");
    assert_eq!(
        wp_ok(&stack, &["user", "get", &id, "--field=login"]),
        format!("{login}\n")
    );
    assert_eq!(
        wp_ok(&stack, &["user", "get", &email, "--field=roles"]),
        "editor\n"
    );
    let got = wp_ok(&stack, &["user", "get", &login]);
    assert!(got.starts_with("Field\tValue\nID\t"), "{got}");
    assert!(!got.contains("user_pass"), "{got}");
    assert!(
        stack.https().login(&login, "first pass 1"),
        "{login} cannot log in"
    );
    assert_eq!(
        wp_ok(
            &stack,
            &[
                "user",
                "update",
                &id,
                "--user_pass=second pass 2",
                "--display_name=Second"
            ]
        ),
        format!("Success: Updated user {id}.\n")
    );
    assert!(stack.https().login(&login, "second pass 2"));
    assert!(!stack.https().login(&login, "first pass 1"));
    let e = wp_fails(&stack, &["user", "create", &login, &email]);
    assert!(e.contains(&login), "{e}");
    let e = wp_fails(
        &stack,
        &[
            "user",
            "create",
            "someone",
            "someone@example.com",
            "--role=emperor",
        ],
    );
    assert!(e.contains("emperor"), "{e}");
    let e = wp_fails(&stack, &["user", "get", "nobody-at-all"]);
    assert!(e.contains("nobody-at-all"), "{e}");

    // posts: created and published, shown, updated, trashed then deleted.
    let title = unique("Post typed by wp");
    let post = wp_ok(
        &stack,
        &[
            "post",
            "create",
            &format!("--post_title={title}"),
            "--post_content=Body <b>bold</b>",
            "--post_status=publish",
            &format!("--post_author={id}"),
        ],
    );
    let post = created_id(&post, "post");
    assert!(
        web.request(&format!("/?p={post}"), &["-L"])
            .body
            .contains(&title)
    );
    assert_eq!(
        wp_ok(
            &stack,
            &["post", "update", &post, "--post_title=Renamed by wp"]
        ),
        format!("Success: Updated post {post}.\n")
    );
    assert_eq!(
        wp_ok(&stack, &["post", "get", &post, "--field=title"]),
        "Renamed by wp\n"
    );
    let json = wp_ok(
        &stack,
        &[
            "post",
            "get",
            &post,
            "--format=json",
            "--fields=ID,post_status",
        ],
    );
    assert_eq!(
        json,
        format!("{{\"ID\":{post},\"post_status\":\"publish\"}}\n")
    );
    let e = wp_fails(&stack, &["post", "delete", &post, "999999"]);
    assert!(e.contains("999999"), "{e}");
    assert_eq!(
        wp_ok(&stack, &["post", "get", &post, "--field=post_status"]),
        "publish\n"
    );

    // A comment held for moderation, approved.
    let held = wp_ok(
        &stack,
        &[
            "comment",
            "create",
            &format!("--comment_post_ID={post}"),
            "--comment_content=held",
            "--comment_approved=0",
        ],
    );
    let held = created_id(&held, "comment");
    assert_eq!(
        wp_ok(&stack, &["comment", "approve", &held]),
        format!("Success: Approved comment {held}.\n")
    );
    let approved = stack.sql(&format!(
        "SELECT comment_approved FROM wordpress.wp_comments WHERE comment_ID = {held}"
    ));
    assert_eq!(approved.trim(), "1");

    // search-replace: a dry run changes nothing; the run replaces inside serialized data too.
    let old = unique("oldhost");
    wp_ok(
        &stack,
        &[
            "post",
            "update",
            &post,
            &format!("--post_content=see https://{old}/x"),
        ],
    );
    let serialized = format!("{{\"url\":\"https://{old}/y\",\"n\":[1,\"{old}\"]}}");
    wp_ok(
        &stack,
        &[
            "option",
            "update",
            "inception_test",
            &serialized,
            "--format=json",
        ],
    );
    // The post and its revisions hold it.
    let in_posts: u32 = stack
        .sql(&format!(
            "SELECT COUNT(*) FROM wordpress.wp_posts WHERE post_content LIKE '%{old}%'"
        ))
        .trim()
        .parse()
        .unwrap();
    assert!(in_posts >= 1);
    let dry = wp_ok(
        &stack,
        &["search-replace", &old, "newhost.example", "--dry-run"],
    );
    assert!(
        dry.starts_with("Table\tColumn\tReplacements\tType\n"),
        "{dry}"
    );
    assert!(
        dry.contains(&format!("wp_posts\tpost_content\t{in_posts}\tPHP\n")),
        "{dry}"
    );
    assert!(dry.contains("wp_options\toption_value\t1\tPHP\n"), "{dry}");
    assert!(dry.contains("wp_posts\tpost_title\t0\tPHP\n"), "{dry}");
    assert!(
        dry.ends_with(&format!(
            "Success: {} replacements to be made.\n",
            in_posts + 1
        )),
        "{dry}"
    );
    assert!(
        wp_ok(
            &stack,
            &["option", "get", "inception_test", "--format=json"]
        )
        .contains(&old)
    );
    assert_eq!(
        wp_ok(
            &stack,
            &["search-replace", &old, "newhost.example", "--format=count"]
        ),
        format!("{}\n", in_posts + 1)
    );
    let replaced = wp_ok(
        &stack,
        &["option", "get", "inception_test", "--format=json"],
    );
    assert_eq!(
        replaced,
        "{\"url\":\"https://newhost.example/y\",\"n\":[1,\"newhost.example\"]}\n"
    );
    assert_eq!(
        wp_ok(&stack, &["post", "get", &post, "--field=content"]),
        "see https://newhost.example/x\n"
    );
    let e = wp_fails(&stack, &["search-replace", "a", "b", "wp_nosuchtable"]);
    assert!(e.contains("wp_nosuchtable"), "{e}");

    // The database by SQL.
    assert_eq!(
        wp_ok(
            &stack,
            &[
                "db",
                "query",
                "SELECT option_value FROM wp_options WHERE option_name = 'blogdescription'"
            ]
        ),
        format!("option_value\n{tagline}\n")
    );
    let e = wp_fails(&stack, &["db", "query", "SELECT nonsense FROM nowhere"]);
    assert!(e.contains("nowhere"), "{e}");

    // plugins: the bundled one activated and deactivated; one installed from a zip file.
    let plugins = wp_ok(&stack, &["plugin", "list"]);
    assert!(
        plugins.starts_with("name\tstatus\tupdate\tversion\n"),
        "{plugins}"
    );
    assert!(plugins.contains("\nakismet\tinactive\t"), "{plugins}");
    assert!(
        plugins.contains("\ninception-updates\tmust-use\t"),
        "{plugins}"
    );
    assert_eq!(
        wp_ok(&stack, &["plugin", "activate", "akismet"]),
        "Plugin 'akismet' activated.\nSuccess: Activated 1 of 1 plugins.\n"
    );
    assert_eq!(
        wp_ok(
            &stack,
            &["plugin", "list", "--name=akismet", "--field=status"]
        ),
        "active\n"
    );
    wp_ok(&stack, &["plugin", "deactivate", "akismet"]);
    assert_eq!(
        wp_ok(
            &stack,
            &["plugin", "list", "--name=akismet", "--field=status"]
        ),
        "inactive\n"
    );
    let e = wp_fails(&stack, &["plugin", "activate", "no-such-plugin"]);
    assert!(e.contains("no-such-plugin"), "{e}");
    let o = stack.exec(
        "wordpress",
        &["php", "-r", r#"$z = new ZipArchive(); $z->open('/tmp/hello-inception.zip', ZipArchive::CREATE);
$z->addFromString('hello-inception/hello-inception.php', "<?php\n/*\nPlugin Name: Hello Inception\nVersion: 1.2.3\n*/\nadd_action('wp_footer', function () { echo '<p>hello from a zip</p>'; });\n");
$z->close();"#],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let installed = wp_ok(
        &stack,
        &[
            "plugin",
            "install",
            "/tmp/hello-inception.zip",
            "--activate",
        ],
    );
    assert!(
        installed
            .ends_with("Plugin 'hello-inception' activated.\nSuccess: Installed 1 of 1 plugins.\n"),
        "{installed}"
    );
    assert!(
        wp_ok(&stack, &["plugin", "list"]).contains("\nhello-inception\tactive\tnone\t1.2.3\n")
    );
    assert!(wait_until(std::time::Duration::from_secs(30), || web
        .request("/", &["-H", "Cookie: wordpress_no_cache=1"])
        .body
        .contains("hello from a zip")));
    let e = wp_fails(&stack, &["plugin", "install", "/tmp/missing.zip"]);
    assert!(e.contains("/tmp/missing.zip"), "{e}");

    // themes.
    let themes = wp_ok(&stack, &["theme", "list", "--fields=name,status"]);
    assert!(themes.contains("\ntwentytwentyfive\tactive\n"), "{themes}");
    let o = wp(&stack, &["theme", "activate", "twentytwentyfive"]);
    assert!(o.status.success());
    assert!(stderr(&o).starts_with("Warning: The 'Twenty Twenty-Five' theme is already active."));
    wp_fails(&stack, &["theme", "activate", "no-such-theme"]);

    // cache, rewrite rules, cron.
    assert_eq!(
        wp_ok(&stack, &["cache", "flush"]),
        "Success: The cache was flushed.\n"
    );
    assert_eq!(
        wp_ok(&stack, &["rewrite", "flush"]),
        "Success: Rewrite rules flushed.\n"
    );
    let events = wp_ok(
        &stack,
        &["cron", "event", "list", "--fields=hook,recurrence"],
    );
    assert!(events.starts_with("hook\trecurrence\n"), "{events}");
    assert!(
        events.contains("\nwp_version_check\t12 hours\n"),
        "{events}"
    );
    let ran = wp_ok(&stack, &["cron", "event", "run", "--due-now"]);
    assert!(
        ran.lines()
            .last()
            .unwrap_or("")
            .starts_with("Success: Executed a total of "),
        "{ran}"
    );
    wp_fails(&stack, &["cron", "event", "run"]);

    // The post and the user go last: the user's posts to the administrator.
    assert_eq!(
        wp_ok(&stack, &["post", "delete", &post]),
        format!("Success: Trashed post {post}.\n")
    );
    let e = wp_fails(&stack, &["user", "delete", &id, "--reassign=999999"]);
    assert!(e.contains("999999"), "{e}");
    assert_eq!(
        wp_ok(&stack, &["user", "delete", &id, "--reassign=1", "--yes"]),
        format!(
            "Success: Removed user {id} from https://{}:{}.\n",
            stack.domain(),
            stack.port()
        )
    );
    assert_eq!(
        wp_ok(&stack, &["post", "get", &post, "--field=post_author"]),
        "1\n"
    );
    assert_eq!(
        wp_ok(&stack, &["post", "delete", &post, "--force"]),
        format!("Success: Deleted post {post}.\n")
    );
    wp_fails(&stack, &["post", "get", &post]);
    assert_eq!(wp_ok(&stack, &["user", "list", "--format=count"]), "2\n");

    assert_eq!(root_files(&stack), root_before);
}
