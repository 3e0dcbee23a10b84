<?php
/*
 * The database step of an upgrade that inception-wordpress runs (crates/wordpress/src/
 * upgrade.rs) once the new core files are in place: what wp-admin/upgrade.php does,
 * wp_upgrade(), then a check that the database reached the files' version.
 *
 * Input: one JSON object on stdin: {"home": the site's address}.
 * Output: one JSON object on stdout: {"db_version": N, "cookie": "..."}, where cookie is an
 * administrator's login cookie, valid 10 minutes, for the check that renders an admin page.
 * Exit status 0 on success; 1 with a one-line reason as the last line of stdout (which
 * inception-wordpress puts in its log line), also when WordPress or a plugin throws or
 * fails fatally.
 */

function fail(string $message): void
{
    echo "\n", str_replace("\n", ' ', $message), "\n";
    exit(1);
}

set_exception_handler(function (Throwable $e) {
    fail(get_class($e) . ': ' . $e->getMessage() . ' (' . $e->getFile() . ':' . $e->getLine() . ')');
});
register_shutdown_function(function () {
    $error = error_get_last();
    if ($error && in_array($error['type'], [E_ERROR, E_PARSE, E_CORE_ERROR, E_COMPILE_ERROR], true)) {
        fail($error['message'] . ' (' . $error['file'] . ':' . $error['line'] . ')');
    }
});

$plan = json_decode(stream_get_contents(STDIN), true);
if (!is_array($plan) || !is_string($plan['home'] ?? null)) {
    fail('standard input is not an upgrade plan');
}
$home = $plan['home'];

require __DIR__ . '/cli-request.php';
inception_cli_request($home, '/wp-admin/upgrade.php');

define('WP_INSTALLING', true);

require getcwd() . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';

if (!is_blog_installed()) {
    fail('the site is not installed');
}

wp_upgrade();

// What the database says, not the options cache.
$reached = (int) $wpdb->get_var(
    "SELECT option_value FROM $wpdb->options WHERE option_name = 'db_version'"
);
if ($reached !== (int) $wp_db_version) {
    $why = $wpdb->last_error !== '' ? ": $wpdb->last_error" : '';
    fail("the database is at version $reached after wp_upgrade(), not $wp_db_version$why");
}

$admins = get_users(['role' => 'administrator', 'number' => 1, 'orderby' => 'ID']);
if (!$admins) {
    fail('no administrator to check an admin page with');
}
$expires = time() + 600;
$cookie = SECURE_AUTH_COOKIE . '=' . rawurlencode(wp_generate_auth_cookie($admins[0]->ID, $expires, 'secure_auth'))
    . '; ' . LOGGED_IN_COOKIE . '=' . rawurlencode(wp_generate_auth_cookie($admins[0]->ID, $expires, 'logged_in'));
echo json_encode(['db_version' => (int) $wp_db_version, 'cookie' => $cookie]), "\n";
