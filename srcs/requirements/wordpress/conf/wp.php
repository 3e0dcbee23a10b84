<?php
/*
 * The WordPress side of the container's `wp` command (crates/wordpress/src/wp.rs, which
 * reads the command line and formats the output as wp-cli does). Run by the PHP CLI as
 * www-data in the webroot.
 *
 * Input: one JSON object on stdin: command ("user list", ...), args (the positional
 * arguments after the command's two words), assoc (the --key=value arguments: filters, or
 * a new comment's fields).
 * Output: one JSON object on stdout, one of
 *   {"rows": [objects]}            a list command's objects, every field
 *   {"value": v}                   option get
 *   {"installed": bool}            core is-installed
 *   {"success": [messages], ...}   what was done (comment create adds "id")
 *   {"checks": [{table, type, text}]}  db check
 *   {"error": "message"}           nothing was changed
 */

$answered = false;

function answer(array $answer): void
{
    global $answered;
    $answered = true;
    while (ob_get_level() > 0) {
        ob_end_clean();
    }
    fwrite(STDOUT, json_encode($answer, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE |
        JSON_PARTIAL_OUTPUT_ON_ERROR) . "\n");
    exit(0);
}

function fail(string $message): void
{
    answer(['error' => $message]);
}

$request = json_decode(stream_get_contents(STDIN), true);
if (!is_array($request) || !is_string($request['command'] ?? null)) {
    fwrite(STDERR, "wp.php: standard input is not a request\n");
    exit(1);
}
$command = $request['command'];
$args = $request['args'] ?? [];
$assoc = $request['assoc'] ?? [];

// What a web request would carry (WordPress derives URLs from them): the site's address,
// from wp-config.php.
$home = 'https://localhost';
$config = @file_get_contents(getcwd() . '/wp-config.php');
if ($config !== false && preg_match("/define\\(\\s*'WP_HOME'\\s*,\\s*'([^']*)'/", $config, $m)) {
    $home = $m[1];
}
require __DIR__ . '/cli-request.php';
inception_cli_request($home);

// Without a site, WordPress would answer with a redirection to its installer.
if ($command === 'core is-installed') {
    define('WP_INSTALLING', true);
}

// The container has no mail transport. wp_mail() is pluggable.
function wp_mail()
{
    return true;
}

// WordPress stopping on its own (no database, wp_die) still gets an answer: what it printed.
register_shutdown_function(function () {
    global $answered;
    if ($answered) {
        return;
    }
    $printed = '';
    while (ob_get_level() > 0) {
        $printed = ob_get_clean() . $printed;
    }
    $text = trim(preg_replace('/\s+/', ' ', html_entity_decode(strip_tags($printed))));
    fwrite(STDOUT, json_encode(['error' => $text !== '' ? $text : 'WordPress stopped without an answer (is the site installed?)'],
        JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE) . "\n");
});

ob_start();
require getcwd() . '/wp-load.php';

/* Keeps the rows whose fields equal the filters that name a field (the others were query
 * arguments). */
function filtered(array $rows, array $assoc): array
{
    return array_values(array_filter($rows, function ($row) use ($assoc) {
        foreach ($assoc as $key => $value) {
            if (array_key_exists($key, $row) && !is_array($row[$key]) &&
                (string) $row[$key] !== (is_bool($value) ? (string) (int) $value : (string) $value)) {
                return false;
            }
        }
        return true;
    }));
}

function user_row(WP_User $user): array
{
    $row = (array) $user->data;
    // Password hashes and reset keys are never shown.
    unset($row['user_pass'], $row['user_activation_key']);
    $row['ID'] = (int) $user->ID;
    $row['roles'] = implode(',', $user->roles);
    return $row;
}

function post_row(WP_Post $post): array
{
    $row = $post->to_array();
    unset($row['post_password']);
    return $row;
}

function comment_row(WP_Comment $comment): array
{
    return get_object_vars($comment);
}

switch ($command) {
    case 'core is-installed':
        answer(['installed' => is_blog_installed()]);

    case 'option get':
        $value = get_option($args[0]);
        if ($value === false) {
            fail("Could not get '{$args[0]}' option. Does it exist?");
        }
        answer(['value' => $value]);

    case 'user list':
        $users = get_users($assoc + ['orderby' => 'login']);
        answer(['rows' => filtered(array_map('user_row', $users), $assoc)]);

    case 'post list':
        $query = new WP_Query($assoc + [
            'posts_per_page' => -1,
            'post_status' => 'publish',
            'post_type' => 'post',
            'ignore_sticky_posts' => true,
        ]);
        $posts = array_filter($query->posts, fn($p) => $p instanceof WP_Post);
        answer(['rows' => filtered(array_map('post_row', $posts), $assoc)]);

    case 'comment list':
        $comments = get_comments($assoc + ['orderby' => 'comment_date_gmt', 'order' => 'DESC']);
        answer(['rows' => filtered(array_map('comment_row', $comments), $assoc)]);

    case 'comment create':
        $post_id = $assoc['comment_post_ID'] ?? '';
        if (!is_numeric($post_id) || !get_post((int) $post_id)) {
            fail("Can't find post $post_id.");
        }
        $id = wp_insert_comment(wp_slash($assoc));
        if (!$id) {
            fail('Could not create comment.');
        }
        answer(['id' => $id, 'success' => ["Created comment $id."]]);

    case 'comment delete':
        // Every id first: a wrong one changes nothing.
        foreach ($args as $id) {
            if (!is_numeric($id) || !get_comment((int) $id)) {
                fail("Failed deleting comment $id: there is no comment with this ID.");
            }
        }
        $force = ($assoc['force'] ?? false) === true;
        $done = [];
        foreach ($args as $id) {
            $verb = ($force || wp_get_comment_status((int) $id) === 'trash') ? 'Deleted' : 'Trashed';
            if (!wp_delete_comment((int) $id, $force)) {
                fail("Failed deleting comment $id.");
            }
            $done[] = "$verb comment $id.";
        }
        answer(['success' => $done]);

    case 'db check':
        $tables = $wpdb->get_col($wpdb->prepare('SHOW TABLES LIKE %s',
            $wpdb->esc_like($wpdb->prefix) . '%'));
        $checks = [];
        foreach ($tables as $table) {
            foreach ($wpdb->get_results("CHECK TABLE `$table`", ARRAY_A) as $row) {
                $checks[] = ['table' => $row['Table'], 'type' => $row['Msg_type'],
                             'text' => $row['Msg_text']];
            }
        }
        if ($checks === []) {
            fail("no table with the prefix {$wpdb->prefix}: " . $wpdb->last_error);
        }
        answer(['checks' => $checks]);

    default:
        fail("'$command' is not a supported wp command here.");
}
