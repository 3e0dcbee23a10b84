<?php
/*
 * Carries out the install plan that inception-wordpress decides (crates/wordpress/src/
 * install.rs, the one place that knows what "installed" means), through WordPress's own
 * API: what `wp db reset`, `wp core install` and `wp user create` do.
 *
 * Input: one JSON object on stdin (not arguments, which `ps` shows, nor the environment,
 * which /proc shows: it holds the passwords):
 *   drop_tables  bool    drop this prefix's tables first (an interrupted install)
 *   home         string  the site's address
 *   install      null, or {title, admin} for wp_install (which creates the administrator
 *                or keeps an existing one)
 *   users        list of {login, email, password, role} to create
 * Output: one line per action on stdout. Exit status 0 on success; 1 with a one-line
 * reason on stderr.
 */

function fail(string $message): void
{
    fwrite(STDERR, "install.php: $message\n");
    exit(1);
}

$plan = json_decode(stream_get_contents(STDIN), true);
if (!is_array($plan) || !is_string($plan['home'] ?? null) || !is_array($plan['users'] ?? null)) {
    fail('standard input is not an install plan');
}
$home = $plan['home'];
$users = $plan['users'];

require __DIR__ . '/cli-request.php';
inception_cli_request($home);

define('WP_INSTALLING', true);

// The container has no mail transport: the "new site" and "new user" notices go nowhere.
// wp_mail() is pluggable, so WordPress keeps this definition.
function wp_mail()
{
    return true;
}

require getcwd() . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';

if ($plan['drop_tables']) {
    foreach ($wpdb->tables('all') as $table) {
        $wpdb->query("DROP TABLE IF EXISTS `$table`");
    }
    wp_cache_flush();
    echo "tables with prefix {$wpdb->prefix} dropped\n";
}

if ($plan['install'] !== null) {
    $title = $plan['install']['title'];
    $admin = $plan['install']['admin'];
    // Passwords are hashed as WordPress receives them from a form: slashed.
    $result = wp_install($title, $admin['login'], $admin['email'], true, '',
                         wp_slash($admin['password']));
    if (is_wp_error($result)) {
        fail('wp_install: ' . $result->get_error_message());
    }
    // Pretty links; and logged-in users' comments appear at once, anonymous ones are refused.
    update_option('permalink_structure', '/%postname%/');
    update_option('comment_registration', 1);
    update_option('comment_previously_approved', 0);
    echo "site installed: $title at $home, administrator {$admin['login']}\n";
}

foreach ($users as $account) {
    $id = wp_insert_user([
        'user_login' => wp_slash($account['login']),
        'user_email' => wp_slash($account['email']),
        'user_pass' => wp_slash($account['password']),
        'role' => $account['role'],
    ]);
    if (is_wp_error($id)) {
        fail("cannot create user {$account['login']}: " . $id->get_error_message());
    }
    echo "user {$account['login']} created ({$account['role']})\n";
}
