<?php
/*
 * Inception (must-use plugin, installed by inception-wordpress): WP-Cron's loopback request
 * gets the time to reach nginx.
 *
 * A page view starts WP-Cron by requesting https://DOMAIN/wp-cron.php without waiting for the
 * answer, and WordPress gives that request 10 ms: a TLS handshake on a busy machine takes
 * longer, the request never arrives, and WP-Cron's lock then keeps it from trying again for a
 * minute. wp-cron.php answers at once (fastcgi_finish_request) and runs the events after, so
 * the page that starts it waits only for that answer.
 */
add_filter('cron_request', function ($request) {
    $request['args']['timeout'] = 3;
    return $request;
});
