//! Outgoing mail through an SMTP relay: a sink started by the test on the host (a few lines
//! of SMTP, enough for msmtp) receives what WordPress sends: the lost-password mail with its
//! reset link, `wp mail test`; with the relay down, the form says the mail could not be
//! sent and the site goes on.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use inception_tests::*;

/// What the sink received: each message's data, and the AUTH PLAIN credentials it was given.
#[derive(Default)]
struct Received {
    messages: Vec<String>,
    auth: Vec<String>,
}

/// An SMTP server that accepts every message (no TLS: the stack's SMTP_TLS=off), on every
/// address of the host, in a thread of its own. Dropped: it stops listening.
struct Sink {
    port: u16,
    received: Arc<Mutex<Received>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl Sink {
    fn start() -> Sink {
        let listener = TcpListener::bind("0.0.0.0:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let received = Arc::new(Mutex::new(Received::default()));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (r, s) = (received.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s.load(std::sync::atomic::Ordering::SeqCst) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let r = r.clone();
                        std::thread::spawn(move || {
                            let _ = session(conn, &r);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Sink {
            port,
            received,
            stop,
        }
    }

    /// Waits (bounded) for a message containing `text`; returns it.
    fn wait_for(&self, text: &str) -> Option<String> {
        let mut found = None;
        wait_until(Duration::from_secs(20), || {
            found = self
                .received
                .lock()
                .unwrap()
                .messages
                .iter()
                .find(|m| m.contains(text))
                .cloned();
            found.is_some()
        });
        found
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        // The accepting thread sees the flag within 20 ms.
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// One SMTP session (RFC 5321's commands msmtp sends; AUTH PLAIN with an initial response).
fn session(conn: TcpStream, received: &Mutex<Received>) -> std::io::Result<()> {
    conn.set_nonblocking(false)?;
    conn.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut out = conn.try_clone()?;
    let mut lines = BufReader::new(conn);
    out.write_all(b"220 sink ESMTP\r\n")?;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let verb = command.to_ascii_uppercase();
        if verb.starts_with("EHLO") {
            out.write_all(b"250-sink\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n")?;
        } else if verb.starts_with("AUTH PLAIN ") {
            received.lock().unwrap().auth.push(command[11..].to_owned());
            out.write_all(b"235 ok\r\n")?;
        } else if verb == "DATA" {
            out.write_all(b"354 go on\r\n")?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line)? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                data.push_str(&line);
            }
            received.lock().unwrap().messages.push(data);
            out.write_all(b"250 queued\r\n")?;
        } else if verb == "QUIT" {
            out.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            out.write_all(b"250 ok\r\n")?;
        }
    }
}

/// The host's address on Docker's default bridge (docker0): containers reach the host there.
fn host_address() -> String {
    let o = run(std::process::Command::new("ip").args(["-4", "-o", "addr", "show", "docker0"]));
    let text = stdout(&o);
    text.split_whitespace()
        .skip_while(|w| *w != "inet")
        .nth(1)
        .and_then(|a| a.split('/').next())
        .unwrap_or_else(|| panic!("no address on docker0: {text}{}", stderr(&o)))
        .to_owned()
}

/// A mail's body with quoted-printable soft line breaks undone.
fn unfolded(mail: &str) -> String {
    mail.replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=")
}

#[test]
fn lost_password_mail_reaches_the_relay_and_a_relay_down_is_said() {
    let sink = Sink::start();
    let mut stack = Stack::new("mail");
    stack.set("SMTP_HOST", &host_address());
    stack.set("SMTP_PORT", &sink.port.to_string());
    stack.set("SMTP_TLS", "off");
    stack.set("SMTP_USER", "relay-account");
    stack.set("SMTP_FROM", "site@example.com");
    stack.up(&[]);
    let web = stack.https();

    // The lost-password form: a mail with the reset link for the site's domain and port.
    let form = "/wp-login.php?action=lostpassword";
    let r = web.request(
        form,
        &[
            "--data",
            "user_login=writer&redirect_to=&wp-submit=Get+New+Password",
        ],
    );
    assert!(
        r.status == 302 && r.headers.contains("checkemail=confirm"),
        "the form did not confirm: {} {}\n{}",
        r.status,
        r.headers,
        stack.all_logs()
    );
    let mail = sink
        .wait_for("action=rp")
        .unwrap_or_else(|| panic!("no reset mail in the sink\n{}", stack.all_logs()));
    let mail = unfolded(&mail);
    let site = format!("https://{}:{}/wp-login.php?", stack.domain(), stack.port());
    let link = mail
        .lines()
        .find(|l| l.starts_with(&site) && l.contains("action=rp"))
        .unwrap_or_else(|| panic!("no reset link to {site} in\n{mail}"));
    assert!(
        link.contains("login=writer") && link.contains("key="),
        "{link}"
    );
    // The link works: WordPress shows the form for a new password.
    let path = &link[site.len() - "/wp-login.php?".len()..];
    let reset = stack.https().request(path.trim_end(), &["-L"]);
    assert!(
        reset.body.contains("id=\"pass1\""),
        "the reset link is refused:\n{}",
        reset.body
    );
    assert!(mail.contains("To: writer@example.com"), "{mail}");
    assert!(
        mail.contains("From: WordPress <site@example.com>"),
        "{mail}"
    );
    // The relay got the account and the secret's password (AUTH PLAIN: \0user\0password).
    let expected = format!("\0relay-account\0{}", stack.secret("smtp_password"));
    let auth = sink.received.lock().unwrap().auth.clone();
    assert!(
        auth.iter().any(|a| base64_decodes_to(a, &expected)),
        "the relay was not given the account and password: {auth:?}"
    );

    // What an operator types.
    let o = stack.exec("wordpress", &["wp", "mail", "test", "someone@example.com"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).starts_with("Success: Test mail sent to someone@example.com"),
        "{}",
        stdout(&o)
    );
    assert!(sink.wait_for("To: someone@example.com").is_some());

    // The relay down: the form says so, the site goes on.
    drop(sink);
    let r = web.request(
        form,
        &[
            "--data",
            "user_login=writer&redirect_to=&wp-submit=Get+New+Password",
        ],
    );
    assert!(
        r.body.contains("could not be sent"),
        "the form does not say the mail failed: {}\n{}",
        r.status,
        r.body
    );
    assert_eq!(web.get("/").status, 200);
    let refusal = mail_test_refused(&stack);
    assert!(refusal.contains("could not be sent through"), "{refusal}");
    assert!(
        logs(&stack.container("wordpress")).contains("a mail could not be sent"),
        "the failure is not in the container's log"
    );
}

#[test]
fn without_a_relay_wordpress_says_no_mail_leaves() {
    let stack = Stack::new("nomail");
    stack.up(&[]);
    assert!(
        logs(&stack.container("wordpress")).contains("no mail transport configured"),
        "the log does not say there is no mail transport"
    );
    let refusal = mail_test_refused(&stack);
    assert!(
        refusal.contains("no mail transport configured"),
        "{refusal}"
    );
    assert!(
        !stdout(&stack.exec("wordpress", &["ls", "/run/php"])).contains("msmtprc"),
        "a relay's configuration was written without SMTP_HOST"
    );
}

#[test]
fn a_bad_mail_setting_stops_wordpress_naming_it() {
    // The password file is named but missing in each: the first wrong setting is named.
    for (key, value, named) in [
        ("SMTP_TLS", "ssl", "SMTP_TLS"),
        ("SMTP_PORT", "70000", "SMTP_PORT"),
        ("SMTP_TLS", "off", "SMTP_PASSWORD_FILE"),
    ] {
        let o = run(std::process::Command::new("docker").args([
            "run",
            "--rm",
            "-e",
            "SMTP_HOST=relay.example.com",
            "-e",
            &format!("{key}={value}"),
            "-e",
            "MYSQL_DATABASE=wp",
            "-e",
            "MYSQL_USER=wp",
            "-e",
            "MYSQL_PASSWORD=x",
            "-e",
            "DOMAIN_NAME=me.42.fr",
            "-e",
            "WP_ADMIN_USER=boss",
            "-e",
            "WP_ADMIN_EMAIL=b@example.com",
            "-e",
            "WP_ADMIN_PASSWORD=x",
            "-e",
            "WP_USER=w",
            "-e",
            "WP_USER_EMAIL=w@example.com",
            "-e",
            "WP_USER_PASSWORD=y",
            "-e",
            "SMTP_PASSWORD_FILE=/run/secrets/missing",
            image("wordpress"),
        ]));
        assert_eq!(o.status.code(), Some(78), "{key}={value}: {}", stderr(&o));
        assert!(stderr(&o).contains(named), "{key}={value}: {}", stderr(&o));
    }
}

/// `wp mail test` in the wordpress container, which must fail: what it says on stderr.
fn mail_test_refused(stack: &Stack) -> String {
    let o = stack.exec("wordpress", &["wp", "mail", "test", "someone@example.com"]);
    assert!(!o.status.success(), "{}", stdout(&o));
    stderr(&o)
}

/// Whether `b64` is the standard base64 of `text`.
fn base64_decodes_to(b64: &str, text: &str) -> bool {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in b64.trim().bytes().filter(|&c| c != b'=') {
        let Some(v) = ALPHABET.iter().position(|&a| a == c) else {
            return false;
        };
        bits = (bits << 6) | v as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    out == text.as_bytes()
}
