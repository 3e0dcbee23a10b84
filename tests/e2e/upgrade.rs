//! A site made with an older WordPress (Debian bookworm's 6.1, trixie's 6.8), then started
//! with the image under test (Debian testing's, 7.1): upgraded with its content, rolled back
//! when the upgrade fails, and whole after a kill in the middle.

use std::time::Duration;

use inception_tests::*;
use inception_wordpress::events;

fn db_version(stack: &Stack) -> String {
    stack
        .sql("SELECT option_value FROM wordpress.wp_options WHERE option_name = 'db_version'")
        .trim()
        .to_owned()
}

/// The numbers of a version (`7.1.3` → [7, 1, 3]), compared as numbers.
fn numbers(version: &str) -> Vec<u32> {
    version.split('.').map(|n| n.parse().unwrap()).collect()
}

/// What [`old_site`] made: the older WordPress, the upload's address path, the comment.
struct OldSite {
    from: OlderWordPress,
    upload: String,
    comment: String,
}

/// A site on an older WordPress with a post, a page, an upload and a comment by the second
/// user.
fn old_site(stack: &mut Stack, from: OlderWordPress) -> OldSite {
    let major = from.major();
    stack.use_image("wordpress", Some(from.image()));
    stack.up(&[]);
    let installed = stack.wordpress_version("/var/www/html").0;
    assert!(installed.starts_with(&format!("{major}.")), "{installed}");
    let admin = stack.https();
    assert!(admin.login("webmaster", &stack.secret("wp_admin_password")));
    let post = admin.rest_post(
        "posts",
        &format!(
            r#"{{"title":"Written on {major}","content":"<p>A post from before the upgrade.</p>","status":"publish"}}"#
        ),
    );
    assert_eq!(post.status, 201, "{}", post.body);
    let page = admin.rest_post(
        "pages",
        &format!(
            r#"{{"title":"A page from {major}","content":"<p>Still here.</p>","status":"publish"}}"#
        ),
    );
    assert_eq!(page.status, 201, "{}", page.body);
    let upload = admin.upload_png(stack.dir.path());
    let comment = unique(&format!("a comment made on {major}"));
    stack.comment(&comment);
    OldSite {
        from,
        upload,
        comment,
    }
}

/// The content [`old_site`] made, all served.
fn assert_content(stack: &Stack, site: &OldSite) {
    let major = site.from.major();
    let web = stack.https();
    // A query nobody asked before: nginx's micro-cache answers a first request for an
    // expired page with the stale copy (and renders it again behind).
    let fresh = format!("?fresh={}", unique("page"));
    let front = web.get(&format!("/{fresh}"));
    assert_eq!(front.status, 200);
    assert!(
        front.body.contains(&format!("Written on {major}")),
        "the post is not on the front page:\n{}",
        front.body
    );
    let slug = major.replace('.', "-");
    let page = web.get(&format!("/a-page-from-{slug}/{fresh}"));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Still here."), "the page is gone");
    assert!(stack.comment_shows(&site.comment), "the comment is gone");
    let file = stack.dir.path().join("served.png");
    let got = web.request(&site.upload, &["-o", &file.to_string_lossy()]);
    assert_eq!(got.status, 200, "the upload {} is not served", site.upload);
    assert_eq!(std::fs::read(&file).unwrap(), PNG, "the upload changed");
    assert!(web.login("webmaster", &stack.secret("wp_admin_password")));
    assert!(
        stack
            .https()
            .login("writer", &stack.secret("wp_user_password"))
    );
}

#[test]
fn a_6_8_site_is_upgraded_with_its_content_and_the_old_version_is_kept() {
    upgraded_with_its_content(OlderWordPress::V6_8, "upgrade-6-8");
}

#[test]
fn a_6_1_site_is_upgraded_with_its_content_and_the_old_version_is_kept() {
    upgraded_with_its_content(OlderWordPress::V6_1, "upgrade-6-1");
}

/// A site on `from`, started with the image: upgraded, its content kept, the old version
/// kept aside, and the older image refuses the upgraded site.
fn upgraded_with_its_content(from: OlderWordPress, project: &str) {
    let mut stack = Stack::new(project);
    let site = old_site(&mut stack, from);
    let (old, old_db) = stack.wordpress_version("/var/www/html");
    assert_eq!(db_version(&stack), old_db);

    stack.use_image("wordpress", None);
    stack.up(&["wordpress"]);
    let (new, new_db) = stack.wordpress_version("/usr/src/wordpress");
    assert!(
        numbers(&new) > numbers(&old),
        "the image carries WordPress {new}, not newer than {old}"
    );
    assert_eq!(
        stack.wordpress_version("/var/www/html"),
        (new.clone(), new_db.clone())
    );
    assert_eq!(db_version(&stack), new_db, "the database was not upgraded");
    let log = logs(&stack.container("wordpress"));
    assert!(log.contains("WordPress upgraded"), "{log}");
    assert_content(&stack, &site);

    // The old version is kept: its core files and the dump.
    let kept = stack
        .data()
        .join(format!("wordpress/.inception-upgrades/wordpress-{old}"));
    let kept_version =
        std::fs::read_to_string(kept.join("files/wp-includes/version.php")).unwrap_or_default();
    assert!(
        kept_version.contains(&format!("$wp_version = '{old}'")),
        "no WordPress {old} in {}",
        kept.display()
    );
    let dump = std::fs::read_to_string(kept.join("database.sql")).unwrap_or_default();
    assert!(
        dump.contains(&format!("Written on {}", from.major())),
        "the dump lacks the post"
    );
    // The dashboard's Updates page says where core updates come from, and offers none.
    let admin = stack.https();
    assert!(admin.login("webmaster", &stack.secret("wp_admin_password")));
    let updates = admin.get("/wp-admin/update-core.php");
    assert_eq!(updates.status, 200);
    assert!(
        updates.body.contains("inception-core-updates"),
        "{}",
        updates.body
    );
    assert!(
        !updates.body.contains("do-core-upgrade"),
        "core updates are offered"
    );

    // The older image refuses the upgraded site, and changes nothing.
    let before = tree(&stack.data().join("wordpress"));
    stack.use_image("wordpress", Some(from.image()));
    stack.compose_ok(&["up", "-d", "--no-build", "wordpress"]);
    let c = stack.container("wordpress");
    let refusal = format!("the volume holds WordPress {new}, newer than this image's {old}");
    wait_log(&c, &refusal, Duration::from_secs(60));
    assert!(logs(&c).contains("nothing was changed"), "{}", logs(&c));
    assert!(
        tree(&stack.data().join("wordpress")) == before,
        "the volume changed"
    );
    assert_eq!(db_version(&stack), new_db);
}

/// Every file under `dir` with its size and modification time.
fn tree(dir: &std::path::Path) -> Vec<(std::path::PathBuf, u64, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            if m.is_dir() {
                todo.push(e.path());
            }
            out.push((e.path(), m.len(), m.modified().unwrap()));
        }
    }
    out.sort();
    out
}

#[test]
fn a_failed_upgrade_puts_the_old_site_back_and_the_next_start_retries() {
    let mut stack = Stack::new("upgrade-fail");
    let site = old_site(&mut stack, OlderWordPress::V6_8);
    let (old, old_db) = stack.wordpress_version("/var/www/html");
    // A must-use plugin that breaks the upgrade: it throws at the end of wp_upgrade(), once
    // the database step has changed the database.
    let plugin = stack
        .data()
        .join("wordpress/wp-content/mu-plugins/refuse-upgrade.php");
    std::fs::write(
        &plugin,
        "<?php add_action('wp_upgrade', function () { throw new RuntimeException('refused by a plugin'); });\n",
    )
    .unwrap();
    stack.use_image("wordpress", None);
    stack.up(&["wordpress"]);
    let logs = logs(&stack.container("wordpress"));
    let line = logs
        .lines()
        .find(|l| l.contains("the upgrade to WordPress"))
        .unwrap_or_else(|| panic!("no failure line:\n{logs}"));
    assert!(
        line.contains(&format!("WordPress {old} and its database are back")),
        "{line}"
    );
    assert!(line.contains("docker compose restart wordpress"), "{line}");
    assert_eq!(
        stack.wordpress_version("/var/www/html"),
        (old.clone(), old_db.clone())
    );
    assert_eq!(db_version(&stack), old_db);
    assert_content(&stack, &site);
    assert!(!stack.data().join("wordpress/.maintenance").exists());

    assert!(line.contains("refused by a plugin"), "{line}");

    // Once the cause is gone, a restart upgrades.
    std::fs::remove_file(&plugin).unwrap();
    stack.compose_ok(&["restart", "wordpress"]);
    stack.wait_healthy("wordpress");
    let (new, new_db) = stack.wordpress_version("/usr/src/wordpress");
    assert_eq!(
        stack.wordpress_version("/var/www/html"),
        (new, new_db.clone())
    );
    assert_eq!(db_version(&stack), new_db);
    assert_content(&stack, &site);
}

#[test]
fn a_kill_in_the_middle_of_the_upgrade_leaves_a_working_site_on_one_version() {
    let mut stack = Stack::new("upgrade-kill");
    // From 6.1: the longest upgrade of the two, the widest moment for the kill.
    let site = old_site(&mut stack, OlderWordPress::V6_1);
    let old = stack.wordpress_version("/var/www/html");

    stack.use_image("wordpress", None);
    stack.compose_ok(&["up", "-d", "--no-build", "wordpress"]);
    let c = stack.container("wordpress");
    // The files are being replaced: the moment a kill hurts most.
    wait_log(&c, "upgrading the database", Duration::from_secs(120));
    docker_ok(&["kill", "-s", "KILL", &c]);
    // Started again, it finishes (or undoes) the upgrade.
    stack.up(&["wordpress"]);
    // The kill landed in the upgrade (not after it): the second start took it over.
    let log = logs(&c);
    assert!(
        log.contains("finishing an interrupted upgrade")
            || log.contains("finishing an interrupted rollback"),
        "the second start did not take over the interrupted upgrade:\n{log}"
    );
    let now = stack.wordpress_version("/var/www/html");
    let new = stack.wordpress_version("/usr/src/wordpress");
    assert!(
        now == old || now == new,
        "{now:?} is neither {old:?} nor {new:?}"
    );
    assert_eq!(db_version(&stack), now.1, "files and database disagree");
    assert_content(&stack, &site);
    for left in [".maintenance", ".inception-upgrade.json"] {
        let path = stack.data().join("wordpress").join(left);
        assert!(!path.exists(), "{left} was left behind");
    }
}

#[test]
fn two_containers_starting_together_on_one_volume_upgrade_it_once() {
    let mut stack = Stack::new("upgrade-two");
    stack.set_profiles(&["replica"]);
    stack.use_image("wordpress-replica", Some(OlderWordPress::V6_8.image()));
    let site = old_site(&mut stack, OlderWordPress::V6_8);

    stack.use_image("wordpress", None);
    stack.use_image("wordpress-replica", None);
    stack.up(&["wordpress", "wordpress-replica"]);
    let upgraded: Vec<String> = ["wordpress", "wordpress-replica"]
        .iter()
        .filter(|s| logs(&stack.container(s)).contains(events::UPGRADING_WORDPRESS))
        .map(|s| s.to_string())
        .collect();
    assert_eq!(upgraded.len(), 1, "upgraded by {upgraded:?}");
    let new = stack.wordpress_version("/usr/src/wordpress");
    assert_eq!(stack.wordpress_version("/var/www/html"), new);
    assert_eq!(db_version(&stack), new.1);
    assert_content(&stack, &site);
}
