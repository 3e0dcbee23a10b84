//! `inception-wordpress health`: a real FastCGI request to php-fpm's ping path.

/// Runs the check and prints its verdict on one line.
pub fn run() -> anyhow::Result<u8> {
    inception_core::probe::fastcgi::local_pool_health()
}
