<?php
/*
 * For the PHP CLI scripts of inception-wordpress (install.php, upgrade.php, wp.php): what a
 * web request to the site would carry, since WordPress derives URLs, cookies and redirects
 * from it.
 */
function inception_cli_request(string $home, string $uri = '/'): void
{
    $host = parse_url($home, PHP_URL_HOST);
    $port = parse_url($home, PHP_URL_PORT);
    $_SERVER['HTTP_HOST'] = $host . ($port ? ":$port" : '');
    $_SERVER['SERVER_NAME'] = $host;
    $_SERVER['HTTPS'] = 'on';
    $_SERVER['REQUEST_URI'] = $uri;
    $_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
    $_SERVER['REQUEST_METHOD'] = 'GET';
}
