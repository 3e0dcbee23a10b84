<?php
/*
 * Inception object cache: WordPress's object cache kept in Redis (phpredis).
 *
 * Installed into wp-content/ by inception-wordpress when WP_REDIS_HOST is set (and removed
 * when it is not). When Redis is unreachable the cache keeps working for the request, in
 * memory only, so that the site keeps serving. HTML pages end with a comment that reports
 * the hits and misses of the request.
 */

function wp_cache_init() { $GLOBALS['wp_object_cache'] = new WP_Object_Cache(); }
function wp_cache_add($key, $data, $group = '', $expire = 0) { return $GLOBALS['wp_object_cache']->add($key, $data, $group, (int) $expire); }
function wp_cache_add_multiple(array $data, $group = '', $expire = 0) { return $GLOBALS['wp_object_cache']->add_multiple($data, $group, (int) $expire); }
function wp_cache_replace($key, $data, $group = '', $expire = 0) { return $GLOBALS['wp_object_cache']->replace($key, $data, $group, (int) $expire); }
function wp_cache_set($key, $data, $group = '', $expire = 0) { return $GLOBALS['wp_object_cache']->set($key, $data, $group, (int) $expire); }
function wp_cache_set_multiple(array $data, $group = '', $expire = 0) { return $GLOBALS['wp_object_cache']->set_multiple($data, $group, (int) $expire); }
function wp_cache_get($key, $group = '', $force = false, &$found = null) { return $GLOBALS['wp_object_cache']->get($key, $group, $force, $found); }
function wp_cache_get_multiple($keys, $group = '', $force = false) { return $GLOBALS['wp_object_cache']->get_multiple($keys, $group, $force); }
function wp_cache_delete($key, $group = '') { return $GLOBALS['wp_object_cache']->delete($key, $group); }
function wp_cache_delete_multiple(array $keys, $group = '') { return $GLOBALS['wp_object_cache']->delete_multiple($keys, $group); }
function wp_cache_incr($key, $offset = 1, $group = '') { return $GLOBALS['wp_object_cache']->incr($key, $offset, $group); }
function wp_cache_decr($key, $offset = 1, $group = '') { return $GLOBALS['wp_object_cache']->incr($key, -$offset, $group); }
function wp_cache_flush() { return $GLOBALS['wp_object_cache']->flush(); }
function wp_cache_flush_runtime() { return $GLOBALS['wp_object_cache']->flush_runtime(); }
function wp_cache_flush_group($group) { return $GLOBALS['wp_object_cache']->flush_group($group); }
function wp_cache_supports($feature) { return in_array($feature, ['add_multiple', 'set_multiple', 'get_multiple', 'delete_multiple', 'flush_runtime', 'flush_group'], true); }
function wp_cache_close() { return true; }
function wp_cache_add_global_groups($groups) { $GLOBALS['wp_object_cache']->add_global_groups($groups); }
function wp_cache_add_non_persistent_groups($groups) { $GLOBALS['wp_object_cache']->add_non_persistent_groups($groups); }
function wp_cache_switch_to_blog($blog_id) { $GLOBALS['wp_object_cache']->switch_to_blog($blog_id); }
function wp_cache_reset() { $GLOBALS['wp_object_cache']->flush_runtime(); }

class WP_Object_Cache
{
    /** Requests served from the cache (memory or Redis), and those that were not. */
    public $cache_hits = 0;
    public $cache_misses = 0;

    private $cache = [];
    /** Keys known to be absent, for this request: a repeated miss costs no round trip. */
    private $missing = [];
    private $redis = null;
    private $global_groups = [];
    private $non_persistent_groups = [];
    private $blog_prefix = '';
    private $prefix;

    public function __construct()
    {
        $this->prefix = (defined('WP_CACHE_KEY_SALT') ? WP_CACHE_KEY_SALT : '') . ':';
        $this->blog_prefix = (function_exists('is_multisite') && is_multisite() ? get_current_blog_id() : 1) . ':';
        // After a failure, requests skip Redis for a while instead of each paying for it
        // (a name that no longer resolves can cost seconds).
        $down = sys_get_temp_dir() . '/inception-object-cache.down';
        $recently_down = @filemtime($down) > time() - 10;
        if (!$recently_down && defined('WP_REDIS_HOST') && WP_REDIS_HOST !== '' && class_exists('Redis')) {
            [$host, $port] = array_pad(explode(':', WP_REDIS_HOST, 2), 2, 6379);
            try {
                $redis = new Redis();
                // One connection per php-fpm worker, kept across requests.
                $redis->pconnect($host, (int) $port, 0.5, 'inception', 0, 0.5);
                if (defined('WP_REDIS_PASSWORD') && WP_REDIS_PASSWORD !== '') {
                    $redis->auth(WP_REDIS_PASSWORD);
                }
                $redis->setOption(Redis::OPT_SERIALIZER, Redis::SERIALIZER_PHP);
                $redis->setOption(Redis::OPT_PREFIX, $this->prefix);
                $this->redis = $redis;
            } catch (Throwable $e) {
                @touch($down);
                error_log('object cache: Redis unavailable, memory only: ' . $e->getMessage());
            }
        }
        if (function_exists('add_action')) {
            add_action('shutdown', [$this, 'report'], PHP_INT_MAX);
        }
    }

    private function id($key, $group)
    {
        $group = $group === '' ? 'default' : $group;
        $blog = isset($this->global_groups[$group]) ? '' : $this->blog_prefix;
        return "$blog$group:$key";
    }

    private function persistent($group)
    {
        return $this->redis !== null && !isset($this->non_persistent_groups[$group === '' ? 'default' : $group]);
    }

    /** Runs a Redis call; a failure turns the cache to memory only for the rest of the request. */
    private function call(callable $call, $fallback)
    {
        try {
            return $call($this->redis);
        } catch (Throwable $e) {
            @touch(sys_get_temp_dir() . '/inception-object-cache.down');
            error_log('object cache: Redis failed, memory only: ' . $e->getMessage());
            $this->redis = null;
            return $fallback;
        }
    }

    public function get($key, $group = '', $force = false, &$found = null)
    {
        $id = $this->id($key, $group);
        if (!$force && array_key_exists($id, $this->cache)) {
            $found = true;
            $this->cache_hits++;
            $value = $this->cache[$id];
            return is_object($value) ? clone $value : $value;
        }
        if (!$force && isset($this->missing[$id])) {
            $found = false;
            $this->cache_misses++;
            return false;
        }
        if ($this->persistent($group)) {
            // Values are stored wrapped, so that a stored `false` is not a miss.
            $stored = $this->call(fn ($r) => $r->get($id), false);
            if (is_array($stored) && array_key_exists(0, $stored)) {
                $found = true;
                $this->cache_hits++;
                $this->cache[$id] = $stored[0];
                return is_object($stored[0]) ? clone $stored[0] : $stored[0];
            }
        }
        $found = false;
        $this->missing[$id] = true;
        $this->cache_misses++;
        return false;
    }

    public function get_multiple($keys, $group = '', $force = false)
    {
        $values = [];
        foreach ($keys as $key) {
            $values[$key] = $this->get($key, $group, $force);
        }
        return $values;
    }

    private function store($key, $data, $group, $expire, $mode)
    {
        if (function_exists('wp_suspend_cache_addition') && $mode === 'nx' && wp_suspend_cache_addition()) {
            return false;
        }
        $id = $this->id($key, $group);
        $data = is_object($data) ? clone $data : $data;
        if ($this->persistent($group)) {
            $options = $expire > 0 ? ['ex' => $expire] : [];
            if ($mode !== '') {
                $options[] = $mode;
            }
            $ok = $this->call(fn ($r) => $r->set($id, [$data], $options), null);
            if ($ok === false) {
                return false;
            }
            if ($ok === null && $mode !== '' && ($mode === 'nx') === array_key_exists($id, $this->cache)) {
                return false;
            }
        } elseif ($mode !== '' && ($mode === 'nx') === array_key_exists($id, $this->cache)) {
            return false;
        }
        $this->cache[$id] = $data;
        unset($this->missing[$id]);
        return true;
    }

    public function set($key, $data, $group = '', $expire = 0) { return $this->store($key, $data, $group, $expire, ''); }
    public function add($key, $data, $group = '', $expire = 0) { return $this->store($key, $data, $group, $expire, 'nx'); }
    public function replace($key, $data, $group = '', $expire = 0) { return $this->store($key, $data, $group, $expire, 'xx'); }

    public function set_multiple(array $data, $group = '', $expire = 0)
    {
        $result = [];
        foreach ($data as $key => $value) {
            $result[$key] = $this->set($key, $value, $group, $expire);
        }
        return $result;
    }

    public function add_multiple(array $data, $group = '', $expire = 0)
    {
        $result = [];
        foreach ($data as $key => $value) {
            $result[$key] = $this->add($key, $value, $group, $expire);
        }
        return $result;
    }

    public function delete($key, $group = '')
    {
        $id = $this->id($key, $group);
        $existed = array_key_exists($id, $this->cache);
        unset($this->cache[$id]);
        $this->missing[$id] = true;
        if ($this->persistent($group)) {
            $existed = $this->call(fn ($r) => $r->del($id), 0) > 0 || $existed;
        }
        return $existed;
    }

    public function delete_multiple(array $keys, $group = '')
    {
        $result = [];
        foreach ($keys as $key) {
            $result[$key] = $this->delete($key, $group);
        }
        return $result;
    }

    public function incr($key, $offset = 1, $group = '')
    {
        $value = $this->get($key, $group);
        if ($value === false) {
            return false;
        }
        $value = max(0, (is_numeric($value) ? $value : 0) + $offset);
        $this->set($key, $value, $group);
        return $value;
    }

    public function flush()
    {
        $this->cache = [];
        $this->missing = [];
        if ($this->redis !== null) {
            return (bool) $this->call(fn ($r) => $r->flushDb(), false);
        }
        return true;
    }

    public function flush_runtime()
    {
        $this->cache = [];
        $this->missing = [];
        return true;
    }

    public function flush_group($group)
    {
        $this->flush_runtime();
        if ($this->redis === null) {
            return true;
        }
        return $this->call(function ($r) use ($group) {
            $pattern = $this->prefix . '*' . $group . ':*';
            $iterator = null;
            while (($keys = $r->scan($iterator, $pattern, 500)) !== false) {
                foreach ($keys as $key) {
                    // SCAN returns prefixed names; DEL adds the prefix again.
                    $r->del(substr($key, strlen($this->prefix)));
                }
            }
            return true;
        }, false);
    }

    public function add_global_groups($groups)
    {
        foreach ((array) $groups as $group) {
            $this->global_groups[$group] = true;
        }
    }

    public function add_non_persistent_groups($groups)
    {
        foreach ((array) $groups as $group) {
            $this->non_persistent_groups[$group] = true;
        }
    }

    public function switch_to_blog($blog_id)
    {
        $this->blog_prefix = ((int) $blog_id) . ':';
    }

    public function stats()
    {
        echo '<p><strong>Cache hits:</strong> ' . (int) $this->cache_hits . '<br />';
        echo '<strong>Cache misses:</strong> ' . (int) $this->cache_misses . '</p>';
    }

    /** Ends HTML pages with the request's cache figures (never JSON, feeds or downloads). */
    public function report()
    {
        if (PHP_SAPI === 'cli' || (defined('REST_REQUEST') && REST_REQUEST) || !function_exists('is_feed')
            || wp_doing_ajax() || wp_doing_cron() || is_feed()) {
            return;
        }
        foreach (headers_list() as $header) {
            if (stripos($header, 'content-type:') === 0 && stripos($header, 'text/html') === false) {
                return;
            }
        }
        $backend = $this->redis !== null ? 'redis' : 'memory only (redis unavailable)';
        printf("\n<!-- object cache: %s, %d hits, %d misses -->\n", $backend, $this->cache_hits, $this->cache_misses);
    }
}
