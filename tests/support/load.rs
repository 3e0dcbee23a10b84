//! Traffic on a running stack: clients that keep requesting pages while something happens
//! to it, and a user's comment on the first post.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use crate::{Https, Stack, wait_until};

/// Clients requesting the front page past nginx's page cache, one request after another,
/// until stopped: what a restart or a redeploy of WordPress must not disturb.
pub struct Load {
    stop: Arc<AtomicBool>,
    done: Arc<AtomicU32>,
    clients: Vec<std::thread::JoinHandle<Vec<u16>>>,
}

impl Load {
    /// Starts `clients` clients.
    pub fn start(stack: &Stack, clients: usize) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicU32::new(0));
        let clients = (0..clients)
            .map(|_| {
                let (stop, done, web) = (stop.clone(), done.clone(), stack.https());
                std::thread::spawn(move || {
                    let mut statuses = Vec::new();
                    while !stop.load(Ordering::Relaxed) {
                        let r = web.request("/", &["-H", "Cookie: wordpress_no_cache=1"]);
                        statuses.push(r.status);
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    statuses
                })
            })
            .collect();
        Load {
            stop,
            done,
            clients,
        }
    }

    /// Requests answered or failed so far.
    pub fn count(&self) -> u32 {
        self.done.load(Ordering::Relaxed)
    }

    /// Waits until `more` further requests are done (bounded by 120 s), then stops the
    /// clients and returns every request's HTTP status (0: no answer).
    pub fn stop_after(self, more: u32) -> Vec<u16> {
        let target = self.count() + more;
        wait_until(Duration::from_secs(120), || self.count() >= target);
        self.stop.store(true, Ordering::Relaxed);
        self.clients
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect()
    }
}

/// `user` logs in with a fresh session and comments on the first post; asserts that
/// WordPress accepted the comment.
pub fn post_comment(web: &Https, user: &str, password: &str, text: &str) {
    assert!(web.login(user, password), "{user} cannot log in");
    let r = web.request(
        "/wp-comments-post.php",
        &[
            "--data-urlencode",
            &format!("comment={text}"),
            "--data-urlencode",
            "comment_post_ID=1",
        ],
    );
    assert_eq!(r.status, 302, "comment refused: {}", r.body);
}
