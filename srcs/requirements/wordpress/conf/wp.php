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
 *   {"rows": [objects], "fields"?: [names]}  a list's objects, every field (db query and
 *                                  search-replace say their columns' order)
 *   {"row": object, "fields": [names]}  a get command's object, its fields' order
 *   {"value": v, "json": text, "pretty": text}  option get, config get (the JSON texts
 *                                  keep the value's keys in their order)
 *   {"installed": bool}            core is-installed
 *   {"success": [messages], "lines"?: [text], "id"?: n}   what was done
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

// Commands send no mail (a new user's notice, say), but the test mail. wp_mail() is
// pluggable.
if ($command !== 'mail test') {
    function wp_mail()
    {
        return true;
    }
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
    $error = error_get_last();
    if ($text === '' && $error !== null && in_array($error['type'], [E_ERROR, E_PARSE, E_CORE_ERROR, E_COMPILE_ERROR], true)) {
        $text = "PHP error: {$error['message']} ({$error['file']}:{$error['line']})";
    }
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

function value_answer($value): array
{
    $flags = JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PARTIAL_OUTPUT_ON_ERROR;
    return ['value' => $value, 'json' => json_encode($value, $flags),
        'pretty' => json_encode($value, $flags | JSON_PRETTY_PRINT)];
}

/* The user a wp-cli argument names: an ID, an email address or a login. */
function user_arg(string $key): WP_User
{
    $user = is_numeric($key) ? get_user_by('id', (int) $key)
        : (is_email($key) ? get_user_by('email', $key) : get_user_by('login', $key));
    if (!$user) {
        fail("Invalid user ID, email or login: '$key'");
    }
    return $user;
}

function post_arg(string $id): WP_Post
{
    $post = is_numeric($id) ? get_post((int) $id) : null;
    if (!$post instanceof WP_Post) {
        fail("Could not find the post with ID $id.");
    }
    return $post;
}

function comment_arg(string $id): WP_Comment
{
    $comment = is_numeric($id) ? get_comment((int) $id) : null;
    if (!$comment instanceof WP_Comment) {
        fail("Could not find the comment with ID $id.");
    }
    return $comment;
}

/* A WP_Error (or false) from WordPress as a failure; anything else passes. */
function ok($result, string $what)
{
    if (is_wp_error($result)) {
        fail("$what: " . html_entity_decode(strip_tags($result->get_error_message())));
    }
    if ($result === false || $result === 0) {
        fail("$what.");
    }
    return $result;
}

/* The fields of the request that are object fields (the rest are wp-cli's options). */
function fields_of(array $assoc, array $options): array
{
    return array_diff_key($assoc, array_flip($options));
}

/* The constants and variables the configuration files define, in their order: name, type
 * and, for secrets, where they live instead of their value. */
function config_entries(): array
{
    $dir = getcwd();
    $files = [
        "$dir/wp-config.php" => null,
        '/run/php/wp-secrets.php' => 'written at each start from the Docker secrets in /run/secrets/',
        "$dir/wp-salts.php" => "generated once, in $dir/wp-salts.php",
        "$dir/wp-config-local.php" => null,
    ];
    $entries = [];
    foreach ($files as $file => $secret) {
        $code = @file_get_contents($file);
        if ($code === false) {
            continue;
        }
        $tokens = array_values(array_filter(token_get_all($code), fn($t) =>
            !is_array($t) || !in_array($t[0], [T_WHITESPACE, T_COMMENT, T_DOC_COMMENT], true)));
        $depth = 0;
        foreach ($tokens as $i => $t) {
            if ($t === '(' || $t === '[' || $t === '{') {
                $depth++;
            } elseif ($t === ')' || $t === ']' || $t === '}') {
                $depth--;
            } elseif (is_array($t) && $t[0] === T_STRING && strtolower($t[1]) === 'define'
                && ($tokens[$i + 1] ?? null) === '(' && is_array($tokens[$i + 2] ?? null)
                && $tokens[$i + 2][0] === T_CONSTANT_ENCAPSED_STRING) {
                $name = substr($tokens[$i + 2][1], 1, -1);
                $entries[$name] = ['name' => $name, 'type' => 'constant', 'secret' => $secret,
                    'file' => $file];
            } elseif (is_array($t) && $t[0] === T_VARIABLE && $depth === 0
                && ($tokens[$i + 1] ?? null) === '=') {
                $name = substr($t[1], 1);
                $entries[$name] = ['name' => $name, 'type' => 'variable', 'secret' => $secret,
                    'file' => $file];
            }
        }
    }
    foreach ($entries as $name => &$entry) {
        $entry['value'] = $entry['secret'] !== null ? null
            : ($entry['type'] === 'constant' ? (defined($name) ? constant($name) : null)
                : ($GLOBALS[$name] ?? null));
    }
    return array_values($entries);
}

/* "1 thing", "2 things". */
function plural(int $n, string $word): string
{
    return "$n $word" . ($n === 1 ? '' : 's');
}

/* wp-cli's relative time: the largest units, "now" for what is due. */
function interval(int $seconds): string
{
    if ($seconds <= 0) {
        return 'now';
    }
    $parts = [];
    foreach (['week' => 604800, 'day' => 86400, 'hour' => 3600, 'minute' => 60, 'second' => 1] as $unit => $size) {
        $n = intdiv($seconds, $size);
        if ($n > 0) {
            $parts[] = plural($n, $unit);
            $seconds -= $n * $size;
        }
    }
    return implode(' ', array_slice($parts, 0, 2));
}

function cron_events(): array
{
    $events = [];
    foreach (_get_cron_array() ?: [] as $time => $hooks) {
        foreach ($hooks as $hook => $instances) {
            foreach ($instances as $event) {
                $events[] = [
                    'hook' => $hook,
                    'next_run_gmt' => gmdate('Y-m-d H:i:s', $time),
                    'next_run_relative' => interval($time - time()),
                    'recurrence' => isset($event['interval']) ? interval($event['interval']) : 'Non-repeating',
                    'time' => $time,
                    'schedule' => $event['schedule'],
                    'interval' => $event['interval'] ?? null,
                    'args' => $event['args'],
                ];
            }
        }
    }
    return $events;
}

/* A plugin's wp-cli name: its directory, or its file without .php. */
function plugin_name(string $file): string
{
    return dirname($file) === '.' ? basename($file, '.php') : dirname($file);
}

function plugin_arg(string $name): string
{
    foreach (array_keys(get_plugins()) as $file) {
        if (plugin_name($file) === $name || $file === $name) {
            return $file;
        }
    }
    fail("The '$name' plugin could not be found.");
}

/* search-replace on one value: serialized data is unserialized, replaced in, and
 * serialized again, so that its lengths stay right. */
function replace_in($data, string $from, string $to, array &$warnings)
{
    if (is_string($data)) {
        if (is_serialized($data)) {
            $inner = @unserialize($data);
            if ($inner !== false || $data === 'b:0;') {
                return serialize(replace_in($inner, $from, $to, $warnings));
            }
        }
        return str_replace($from, $to, $data);
    }
    if (is_array($data)) {
        foreach ($data as $key => $value) {
            $data[$key] = replace_in($value, $from, $to, $warnings);
        }
    } elseif ($data instanceof __PHP_Incomplete_Class) {
        $class = get_object_vars($data)['__PHP_Incomplete_Class_Name'] ?? '?';
        $warnings[] = "Skipping an object of the unknown class \"$class\": replacements in it are not made.";
    } elseif (is_object($data)) {
        foreach (get_object_vars($data) as $key => $value) {
            $data->$key = replace_in($value, $from, $to, $warnings);
        }
    }
    return $data;
}

switch ($command) {
    case 'core is-installed':
        answer(['installed' => is_blog_installed()]);

    case 'option get':
        $value = get_option($args[0]);
        if ($value === false) {
            fail("Could not get '{$args[0]}' option. Does it exist?");
        }
        answer(value_answer($value));

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
        array_map('comment_arg', $args);
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

    case 'option update':
        [$key, $value] = $args;
        if (($assoc['format'] ?? '') === 'json') {
            $value = json_decode($value, true);
            if (json_last_error() !== JSON_ERROR_NONE) {
                fail('Invalid JSON: ' . json_last_error_msg());
            }
        }
        $autoload = isset($assoc['autoload']) ? in_array($assoc['autoload'], ['yes', 'on', true], true) : null;
        if ($value === get_option($key) && $autoload === null) {
            answer(['success' => ["Value passed for '$key' option is unchanged."]]);
        }
        if (!update_option($key, $value, $autoload)) {
            fail("Could not update option '$key'.");
        }
        answer(['success' => ["Updated '$key' option."]]);

    case 'option list':
        $where = '1=1';
        $values = [];
        if (isset($assoc['search'])) {
            $where .= ' AND option_name LIKE %s';
            $values[] = str_replace('*', '%', $wpdb->esc_like($assoc['search']));
        }
        if (isset($assoc['autoload'])) {
            $on = in_array($assoc['autoload'], ['on', 'yes'], true);
            $where .= $on ? " AND autoload IN ('yes', 'on', 'auto-on', 'auto')" : " AND autoload IN ('no', 'off', 'auto-off')";
        }
        $sql = "SELECT option_name, option_value, autoload, LENGTH(option_value) AS size_bytes FROM $wpdb->options WHERE $where ORDER BY option_id";
        $rows = $wpdb->get_results($values ? $wpdb->prepare($sql, $values) : $sql, ARRAY_A);
        answer(['rows' => $rows]);

    case 'config get':
        foreach (config_entries() as $entry) {
            if ($entry['name'] === $args[0] && ($assoc['type'] ?? 'all') !== ($entry['type'] === 'constant' ? 'variable' : 'constant')) {
                if ($entry['secret'] !== null) {
                    fail("'{$args[0]}' is a secret and is never shown: it is {$entry['secret']} (" .
                        basename($entry['file']) . ').');
                }
                answer(value_answer($entry['value']));
            }
        }
        fail("The constant or variable '{$args[0]}' is not defined in the 'wp-config.php' file.");

    case 'config list':
        $rows = array_map(fn($e) => ['name' => $e['name'],
            'value' => $e['secret'] !== null ? '(secret, not shown)' : $e['value'],
            'type' => $e['type']], config_entries());
        answer(['rows' => filtered($rows, $assoc)]);

    case 'user get':
        $row = user_row(user_arg($args[0]));
        answer(['row' => $row, 'fields' => array_keys($row)]);

    case 'user create':
        [$login, $email] = $args;
        if (get_user_by('login', $login)) {
            fail("The '$login' username is already registered.");
        }
        if (!is_email($email)) {
            fail("Invalid email address: '$email'.");
        }
        $role = $assoc['role'] ?? get_option('default_role');
        if ($role !== '' && !get_role($role)) {
            fail("Role doesn't exist: $role");
        }
        $user = fields_of($assoc, ['role', 'send-email', 'porcelain']);
        $lines = [];
        if (!isset($user['user_pass'])) {
            $user['user_pass'] = wp_generate_password(24);
            $lines[] = "Password: {$user['user_pass']}";
        }
        $id = ok(wp_insert_user(['user_login' => $login, 'user_email' => $email, 'role' => $role] + $user),
            "Could not create user '$login'");
        answer(['id' => $id, 'success' => ["Created user $id."], 'after' => $lines]);

    case 'user update':
        $users = array_map('user_arg', $args);
        $fields = fields_of($assoc, ['skip-email', 'yes']);
        if ($fields === []) {
            fail('Need some fields to update.');
        }
        if (isset($fields['role']) && !get_role($fields['role'])) {
            fail("Role doesn't exist: {$fields['role']}");
        }
        $done = [];
        foreach ($users as $user) {
            ok(wp_update_user(['ID' => $user->ID] + $fields), "Could not update user $user->ID");
            $done[] = "Updated user $user->ID.";
        }
        answer(['success' => $done]);

    case 'user delete':
        require_once ABSPATH . 'wp-admin/includes/user.php';
        $users = array_map('user_arg', $args);
        $reassign = null;
        if (isset($assoc['reassign'])) {
            $reassign = user_arg((string) $assoc['reassign'])->ID;
            if (in_array($reassign, array_map(fn($u) => $u->ID, $users), true)) {
                fail("Cannot reassign posts to a user being deleted ($reassign).");
            }
        }
        $done = [];
        foreach ($users as $user) {
            ok(wp_delete_user($user->ID, $reassign), "Could not remove user $user->ID");
            $done[] = "Removed user $user->ID from " . home_url() . '.';
        }
        answer(['success' => $done]);

    case 'post get':
        $row = post_row(post_arg($args[0]));
        answer(['row' => $row, 'fields' => array_keys($row)]);

    case 'post create':
        $id = ok(wp_insert_post(wp_slash(fields_of($assoc, ['porcelain'])), true), 'Could not create the post');
        answer(['id' => $id, 'success' => ["Created post $id."]]);

    case 'post update':
        $posts = array_map('post_arg', $args);
        if ($assoc === []) {
            fail('Need some fields to update.');
        }
        $done = [];
        foreach ($posts as $post) {
            ok(wp_update_post(wp_slash(['ID' => $post->ID] + $assoc), true), "Could not update post $post->ID");
            $done[] = "Updated post $post->ID.";
        }
        answer(['success' => $done]);

    case 'post delete':
        $posts = array_map('post_arg', $args);
        $force = ($assoc['force'] ?? false) === true;
        $done = [];
        foreach ($posts as $post) {
            $trash = !$force && EMPTY_TRASH_DAYS && $post->post_status !== 'trash'
                && in_array($post->post_type, ['post', 'page'], true);
            if ($trash) {
                ok(wp_trash_post($post->ID), "Failed trashing post $post->ID");
                $done[] = "Trashed post $post->ID.";
            } else {
                ok(wp_delete_post($post->ID, true), "Failed deleting post $post->ID");
                $done[] = "Deleted post $post->ID.";
            }
        }
        answer(['success' => $done]);

    case 'comment approve':
        $comments = array_map('comment_arg', $args);
        $done = [];
        foreach ($comments as $comment) {
            ok(wp_set_comment_status($comment->comment_ID, 'approve', true), "Could not approve comment $comment->comment_ID");
            $done[] = "Approved comment $comment->comment_ID.";
        }
        answer(['success' => $done]);

    case 'plugin list':
        require_once ABSPATH . 'wp-admin/includes/plugin.php';
        $updates = get_site_transient('update_plugins')->response ?? [];
        $rows = [];
        foreach (get_plugins() as $file => $data) {
            $rows[] = ['name' => plugin_name($file), 'status' => is_plugin_active($file) ? 'active' : 'inactive',
                'update' => isset($updates[$file]) ? 'available' : 'none', 'version' => $data['Version'],
                'title' => $data['Name'], 'description' => $data['Description'], 'file' => $file];
        }
        foreach (get_mu_plugins() as $file => $data) {
            $rows[] = ['name' => basename($file, '.php'), 'status' => 'must-use', 'update' => 'none',
                'version' => $data['Version'], 'title' => $data['Name'], 'description' => $data['Description'], 'file' => $file];
        }
        foreach (get_dropins() as $file => $data) {
            $rows[] = ['name' => $file, 'status' => 'dropin', 'update' => 'none', 'version' => $data['Version'],
                'title' => $data['Name'], 'description' => $data['Description'], 'file' => $file];
        }
        answer(['rows' => filtered($rows, $assoc)]);

    case 'plugin activate':
    case 'plugin deactivate':
        require_once ABSPATH . 'wp-admin/includes/plugin.php';
        $files = array_map('plugin_arg', $args);
        $activate = $command === 'plugin activate';
        $lines = [];
        $count = 0;
        foreach ($files as $file) {
            $name = plugin_name($file);
            if (is_plugin_active($file) === $activate) {
                $lines[] = "Plugin '$name' is already " . ($activate ? 'active' : 'deactivated') . '.';
                continue;
            }
            if ($activate) {
                ok(activate_plugin($file), "Could not activate plugin '$name'");
            } else {
                deactivate_plugins($file);
            }
            $lines[] = "Plugin '$name' " . ($activate ? 'activated' : 'deactivated') . '.';
            $count++;
        }
        $verb = $activate ? 'Activated' : 'Deactivated';
        answer(['lines' => $lines, 'success' => ["$verb $count of " . count($files) . ' plugins.']]);

    case 'plugin install':
        foreach (['file', 'misc', 'plugin', 'class-wp-upgrader'] as $admin) {
            require_once ABSPATH . "wp-admin/includes/$admin.php";
        }
        $zip = $args[0];
        if (!preg_match('/\.zip$/i', $zip) || !is_file($zip) || !is_readable($zip)) {
            fail("'$zip' is not a readable zip file: this wp installs plugins from zip files only (copy one into the container with docker cp).");
        }
        $skin = new Automatic_Upgrader_Skin();
        $upgrader = new Plugin_Upgrader($skin);
        $result = $upgrader->install($zip, ['overwrite_package' => ($assoc['force'] ?? false) === true]);
        $messages = array_values(array_filter(array_map(fn($m) => trim(html_entity_decode(strip_tags($m))),
            $skin->get_upgrade_messages())));
        if (is_wp_error($result) || !$result) {
            fail('Could not install the plugin: ' . (is_wp_error($result) ? $result->get_error_message()
                : (end($messages) ?: 'unknown error')));
        }
        $file = $upgrader->plugin_info();
        $lines = $messages;
        if (($assoc['activate'] ?? false) === true && $file) {
            ok(activate_plugin($file), 'Could not activate plugin ' . plugin_name($file));
            $lines[] = "Plugin '" . plugin_name($file) . "' activated.";
        }
        answer(['lines' => $lines, 'success' => ['Installed 1 of 1 plugins.']]);

    case 'theme list':
        $updates = get_site_transient('update_themes')->response ?? [];
        $active = get_stylesheet();
        $parent = get_template();
        $rows = [];
        foreach (wp_get_themes() as $slug => $theme) {
            $rows[] = ['name' => $slug,
                'status' => $slug === $active ? 'active' : ($slug === $parent ? 'parent' : 'inactive'),
                'update' => isset($updates[$slug]) ? 'available' : 'none', 'version' => $theme->get('Version'),
                'title' => $theme->get('Name')];
        }
        answer(['rows' => filtered($rows, $assoc)]);

    case 'theme activate':
        $theme = wp_get_theme($args[0]);
        if (!$theme->exists()) {
            fail("The '{$args[0]}' theme could not be found.");
        }
        $name = $theme->get('Name');
        if (get_stylesheet() === $theme->get_stylesheet()) {
            answer(['success' => [], 'warnings' => ["The '$name' theme is already active."]]);
        }
        if (!$theme->is_allowed() || $theme->errors()) {
            fail("The '$name' theme cannot be activated: " .
                ($theme->errors() ? $theme->errors()->get_error_message() : 'not allowed'));
        }
        switch_theme($theme->get_stylesheet());
        answer(['success' => ["Switched to '$name' theme."]]);

    case 'db query':
        $wpdb->suppress_errors(true);
        $rows = $wpdb->get_results($args[0], ARRAY_A);
        if ($wpdb->last_error !== '') {
            fail($wpdb->last_error);
        }
        $fields = is_array($rows) && $rows !== [] ? array_keys($rows[0]) : [];
        answer(['rows' => $rows ?: [], 'fields' => $fields]);

    case 'cache flush':
        if (!wp_cache_flush()) {
            fail('The object cache could not be flushed.');
        }
        answer(['success' => ['The cache was flushed.']]);

    case 'mail test':
        // Through wp_mail(), as WordPress's own mail: the relay of srcs/.env (msmtp).
        $to = $args[0];
        if (!is_email($to)) {
            fail("Invalid e-mail address: $to");
        }
        $failure = null;
        add_action('wp_mail_failed', function ($error) use (&$failure) {
            $failure = $error->get_error_message();
        });
        $relay = defined('INCEPTION_SMTP_RELAY') ? INCEPTION_SMTP_RELAY : '';
        $sent = wp_mail(
            $to,
            sprintf('[%s] Test mail', wp_specialchars_decode(get_option('blogname'), ENT_QUOTES)),
            sprintf("This test mail was sent by `wp mail test` from %s.\n", home_url('/'))
        );
        if (!$sent) {
            fail($relay === ''
                ? 'The mail could not be sent: no mail transport configured (set SMTP_HOST in srcs/.env).'
                : "The mail could not be sent through $relay: " . ($failure ?? 'unknown error'));
        }
        answer(['success' => ["Test mail sent to $to through $relay."]]);

    case 'rewrite flush':
        flush_rewrite_rules(false);
        answer(['success' => ['Rewrite rules flushed.']]);

    case 'cron event list':
        answer(['rows' => filtered(cron_events(), $assoc)]);

    case 'cron event run':
        $due = ($assoc['due-now'] ?? false) === true;
        $all = ($assoc['all'] ?? false) === true;
        if (!$due && !$all && $args === []) {
            fail('Please specify one or more cron events, or use --due-now/--all.');
        }
        $events = array_filter(cron_events(), fn($e) => $all || ($args !== [] ? in_array($e['hook'], $args, true)
            : $e['time'] <= time()));
        if ($args !== [] && $events === []) {
            fail('Invalid cron event: ' . implode(', ', $args));
        }
        $lines = [];
        foreach ($events as $event) {
            $start = microtime(true);
            if ($event['schedule'] !== false) {
                wp_reschedule_event($event['time'], $event['schedule'], $event['hook'], $event['args']);
            }
            wp_unschedule_event($event['time'], $event['hook'], $event['args']);
            do_action_ref_array($event['hook'], $event['args']);
            $lines[] = sprintf("Executed the cron event '%s' in %.3fs.", $event['hook'], microtime(true) - $start);
        }
        answer(['lines' => $lines, 'success' => ['Executed a total of ' . plural(count($lines), 'cron event') . '.']]);

    case 'search-replace':
        [$from, $to] = $args;
        if ($from === '') {
            fail('Replacement string is empty.');
        }
        $dry = ($assoc['dry-run'] ?? false) === true;
        $skip = array_filter(explode(',', (string) ($assoc['skip-columns'] ?? '')));
        $tables = array_slice($args, 2) ?: array_values($wpdb->tables('all', true));
        $known = $wpdb->get_col($wpdb->prepare('SHOW TABLES LIKE %s', $wpdb->esc_like($wpdb->prefix) . '%'));
        foreach ($tables as $table) {
            if (!in_array($table, $known, true)) {
                fail("Couldn't find any tables matching: $table");
            }
        }
        $rows = [];
        $total = 0;
        $warnings = [];
        foreach ($tables as $table) {
            $columns = $wpdb->get_results("DESCRIBE `$table`", ARRAY_A);
            $keys = array_column(array_filter($columns, fn($c) => $c['Key'] === 'PRI'), 'Field');
            foreach ($columns as $column) {
                $col = $column['Field'];
                if (in_array($col, $keys, true) || in_array($col, $skip, true)) {
                    continue;
                }
                if ($keys === []) {
                    $rows[] = ['Table' => $table, 'Column' => $col, 'Replacements' => 'skipped', 'Type' => ''];
                    continue;
                }
                $list = implode(', ', array_map(fn($k) => "`$k`", $keys));
                $found = $wpdb->get_results($wpdb->prepare(
                    "SELECT $list, `$col` AS value FROM `$table` WHERE `$col` LIKE BINARY %s",
                    '%' . $wpdb->esc_like($from) . '%'), ARRAY_A);
                $count = 0;
                foreach ($found as $row) {
                    $new = replace_in($row['value'], $from, $to, $warnings);
                    if ($new === $row['value']) {
                        continue;
                    }
                    $count++;
                    if (!$dry) {
                        $where = array_intersect_key($row, array_flip($keys));
                        if ($wpdb->update($table, [$col => $new], $where) === false) {
                            fail("Could not update $table.$col: " . $wpdb->last_error);
                        }
                    }
                }
                $total += $count;
                $rows[] = ['Table' => $table, 'Column' => $col, 'Replacements' => $count, 'Type' => 'PHP'];
            }
        }
        if (!$dry && $total > 0) {
            wp_cache_flush();
        }
        answer(['rows' => $rows, 'fields' => ['Table', 'Column', 'Replacements', 'Type'],
            'count' => $total, 'warnings' => array_values(array_unique($warnings)),
            'success' => [$dry ? plural($total, 'replacement') . ' to be made.'
                : 'Made ' . plural($total, 'replacement') . '.']]);

    default:
        fail("'$command' is not a supported wp command here.");
}
