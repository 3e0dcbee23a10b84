<?php
/*
 * The site's installation through WordPress's own API, driven by inception-wordpress
 * (what `wp core install` and `wp user create` do). Idempotent: an installed site is left
 * as it is and existing users are neither duplicated nor changed.
 *
 * Input: one JSON object on stdin (not arguments, which `ps` shows, nor the environment,
 * which /proc shows: it holds the passwords). Output: one line per action on stdout. Exit status 0 on success; 1 with a one-line reason on stderr.
 *
 * Crash safety: INSTALL_MARKER names a file created just before a new install and removed
 * once the site and both users exist. Finding it means an install was interrupted: the
 * tables it left (ours, with this prefix) are dropped and the install is done again.
 */

function fail(string $message): void
{
    fwrite(STDERR, "install.php: $message\n");
    exit(1);
}

$input = json_decode(stream_get_contents(STDIN), true);
if (!is_array($input)) {
    fail('standard input is not a JSON object');
}

function input(string $name): string
{
    global $input;
    $value = $input[$name] ?? '';
    if (!is_string($value) || $value === '') {
        fail("$name is not set");
    }
    return $value;
}

$marker = input('INSTALL_MARKER');
$home = input('WP_HOME');
$title = input('WP_TITLE');
$admin = ['login' => input('WP_ADMIN_USER'), 'email' => input('WP_ADMIN_EMAIL'),
          'password' => input('WP_ADMIN_PASSWORD'), 'role' => 'administrator'];
$user = ['login' => input('WP_USER'), 'email' => input('WP_USER_EMAIL'),
         'password' => input('WP_USER_PASSWORD'), 'role' => input('WP_USER_ROLE')];

// What a web request would carry: WordPress derives URLs and cookies from them.
$_SERVER['HTTP_HOST'] = parse_url($home, PHP_URL_HOST) .
    (parse_url($home, PHP_URL_PORT) ? ':' . parse_url($home, PHP_URL_PORT) : '');
$_SERVER['HTTPS'] = 'on';
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
$_SERVER['REQUEST_METHOD'] = 'GET';

define('WP_INSTALLING', true);

// The container has no mail transport: the "new site" and "new user" notices go nowhere.
// wp_mail() is pluggable, so WordPress keeps this definition.
function wp_mail()
{
    return true;
}

require getcwd() . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';

if (file_exists($marker)) {
    echo "redoing an interrupted install\n";
    foreach ($wpdb->tables('all') as $table) {
        $wpdb->query("DROP TABLE IF EXISTS `$table`");
    }
    wp_cache_flush();
}

if (is_blog_installed()) {
    echo "site already installed\n";
} else {
    if (!file_exists($marker) && !touch($marker)) {
        fail("cannot create $marker");
    }
    // Passwords are hashed as WordPress receives them from a form: slashed.
    $result = wp_install($title, $admin['login'], $admin['email'], true, '', wp_slash($admin['password']));
    if (is_wp_error($result)) {
        fail('wp_install: ' . $result->get_error_message());
    }
    // Pretty links; and logged-in users' comments appear at once, anonymous ones are refused.
    update_option('permalink_structure', '/%postname%/');
    update_option('comment_registration', 1);
    update_option('comment_previously_approved', 0);
    echo "site installed: $title at $home\n";
}

foreach ([$admin, $user] as $account) {
    $existing = get_user_by('login', $account['login']);
    if ($existing) {
        echo "user {$account['login']} exists (" . implode(',', $existing->roles) . ")\n";
        continue;
    }
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

// The installed site answers with its home page, not the installer.
if (!is_blog_installed()) {
    fail('WordPress still reports the site as not installed');
}
if (file_exists($marker) && !unlink($marker)) {
    fail("cannot remove $marker");
}
