#!/usr/bin/python3
"""Opens WordPress pages in a real browser (headless Chromium driven by Selenium) and checks
that each one renders, without PHP errors in its HTML nor errors of the site's own scripts in
the browser's console:

  front      the front page (/): the block theme's page
  login      /wp-login.php: the administrator logs in through the form
  editor     /wp-admin/post-new.php: the block editor, its canvas (an iframe) loaded
  site       /wp-admin/site-editor.php: the site editor of Twenty Twenty-Five, its canvas loaded
  updates    /wp-admin/update-core.php: our notice that core comes with the image, and no
             button that updates core

Input, a JSON object on stdin (the password never shows in a process list):
  {"url": "https://<domain>:<port>", "domain": "<domain>", "user": "...", "password": "..."}
The domain resolves to 127.0.0.1 for the browser only. Output: one line per page, "ok <page>
..." or "FAIL <page>: <reason>". Exit status 0 only when every page passes.

Needs Debian's chromium, chromium-driver and python3-selenium (srcs/tools/provision.sh --tests).
"""

import json
import os
import re
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

# What PHP or WordPress print in a page when PHP fails.
PHP_ERRORS = ("Fatal error", "critical error", "Warning:")
# How long a page, or an element of it, may take to show.
TIMEOUT = 60
# Docker creating a network or starting a container (other tests do, at any time) makes
# Chromium abort what it is loading with ERR_NETWORK_CHANGED: a page is tried again, once the
# host's network interfaces have stayed the same for a moment, this often.
TRIES = 6

settings = json.load(sys.stdin)
base, domain = settings["url"].rstrip("/"), settings["domain"]


class NetworkChanged(Exception):
    """Chromium aborted a load because the host's network changed: try the page again."""


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--ignore-certificate-errors",
        f"--host-resolver-rules=MAP {domain} 127.0.0.1",
        # The editors lay out for a desktop: a narrow window shows the site editor without
        # its canvas.
        "--window-size=1440,1000",
    ):
        options.add_argument(flag)
    # The console's messages, read with get_log("browser").
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(TIMEOUT)
    return driver


try:
    driver = browser()
except WebDriverException as e:
    sys.exit(f"FAIL browser: cannot start Chromium through chromedriver: {e.msg}")


def aborted():
    """Raises NetworkChanged when the browser shows its error page for a changed network
    (Chromium keeps the page's address and shows its own page, body.neterror, in place)."""
    error_page = driver.find_elements(By.CSS_SELECTOR, "body.neterror")
    if driver.current_url.startswith("chrome-error:") or error_page:
        text = driver.find_element(By.TAG_NAME, "body").text
        if "ERR_NETWORK_CHANGED" in text:
            raise NetworkChanged()
        text = " ".join(text.split())[:200]
        raise RuntimeError(f"the browser's error page at {driver.current_url}: {text!r}")


def settle(quiet=2, limit=30):
    """Waits until the host's network interfaces have stayed the same for `quiet` seconds (at
    most `limit`): Docker adds and removes some for each network and container."""
    start = changed = time.monotonic()
    last = None
    while time.monotonic() - start < limit:
        now = sorted(os.listdir("/sys/class/net"))
        if now != last:
            last, changed = now, time.monotonic()
        elif time.monotonic() - changed >= quiet:
            return
        time.sleep(0.2)


def open_page(path):
    """Opens a page of the site and checks its HTML for PHP errors."""
    try:
        driver.get(base + path)
    except WebDriverException as e:
        if "ERR_NETWORK_CHANGED" in str(e):
            raise NetworkChanged() from e
        raise
    aborted()
    html_has_no_php_error()


def html_has_no_php_error():
    html = driver.page_source
    for text in PHP_ERRORS:
        at = html.find(text)
        if at >= 0:
            around = html[max(0, at - 100) : at + 200]
            raise RuntimeError(f"{text!r} in the HTML of {driver.current_url}: {around!r}")


def wait_for(css, what):
    """Waits until an element matching `css` is in the current document; returns it."""

    def found(d):
        aborted()
        return d.find_elements(By.CSS_SELECTOR, css)

    try:
        return WebDriverWait(driver, TIMEOUT).until(found)[0]
    except WebDriverException as e:
        raise RuntimeError(f"no {what} ({css}) within {TIMEOUT} s at {driver.current_url}") from e


def canvas_loaded(what):
    """The editor's canvas: the iframe named editor-canvas, its blocks rendered inside."""
    frame = wait_for("iframe[name='editor-canvas']", f"{what} canvas")
    driver.switch_to.frame(frame)
    try:
        wait_for(".is-root-container", f"blocks in the {what} canvas")
    finally:
        driver.switch_to.default_content()


def site_errors(entries):
    """The console's SEVERE messages that come from the site itself: not a missing favicon,
    nor a request to another host (api.wordpress.org, s.w.org, fonts)."""
    errors = []
    for entry in entries:
        message = entry["message"]
        if entry["level"] != "SEVERE" or "favicon.ico" in message:
            continue
        host = re.match(r"https?://([^/:\s]+)", message)
        if host and host.group(1) != domain:
            continue
        errors.append(message)
    return errors


# The pages, in order (the ones after login need its session). Each returns a detail to print.


def front():
    open_page("/")
    wait_for(".wp-site-blocks", "block theme layout")
    return repr(driver.title)


def login():
    open_page("/wp-login.php")
    # (Emptied first: a page tried again may show what the browser typed before.)
    for field, value in (("user_login", settings["user"]), ("user_pass", settings["password"])):
        wait_for(f"#{field}", "login form").clear()
        driver.find_element(By.ID, field).send_keys(value)
    driver.find_element(By.ID, "wp-submit").click()
    # The dashboard (its admin bar), or the form again with the reason it refused.
    wait_for("#wpadminbar, #login_error", "dashboard after logging in")
    refused = driver.find_elements(By.ID, "login_error")
    if refused:
        raise RuntimeError(f"login refused: {refused[0].text!r}")
    html_has_no_php_error()
    return f"as {settings['user']}, on {driver.current_url}"


def editor():
    open_page("/wp-admin/post-new.php")
    wait_for(".interface-interface-skeleton", "block editor")
    canvas_loaded("block editor")
    return "editor and canvas loaded"


def site():
    open_page("/wp-admin/site-editor.php")
    wait_for(".edit-site", "site editor")
    canvas_loaded("site editor")
    # WordPress names the active theme in the admin body's classes.
    classes = driver.find_element(By.TAG_NAME, "body").get_attribute("class").split()
    if "wp-theme-twentytwentyfive" not in classes:
        theme = [c for c in classes if c.startswith("wp-theme-")]
        raise RuntimeError(f"the active theme is not twentytwentyfive: {theme}")
    return "theme twentytwentyfive, site editor and canvas loaded"


def updates():
    open_page("/wp-admin/update-core.php")
    notice = wait_for("#inception-core-updates", "notice that core comes with the image")
    button = driver.find_elements(By.CSS_SELECTOR, "#upgrade, form[name='upgrade']")
    if button:
        html = button[0].get_attribute("outerHTML")[:200]
        raise RuntimeError(f"a core update button or form shows: {html!r}")
    return f"notice {notice.text[:60]!r}..., no core update button"


def check(name, page):
    """Runs one page's check, again when the network changed under it; prints the result."""
    for attempt in range(1, TRIES + 1):
        driver.get_log("browser")  # forget what the pages before logged
        failure = None
        try:
            detail = page()
        except NetworkChanged:
            failure = "ERR_NETWORK_CHANGED"
        except Exception as e:  # any failure is this page's, reported as such
            failure = " ".join((getattr(e, "msg", None) or str(e)).split())
        console = driver.get_log("browser")
        # A script or request of the page aborted by a network change counts as one too.
        changed = any("ERR_NETWORK_CHANGED" in e["message"] for e in console)
        if failure == "ERR_NETWORK_CHANGED" or changed:
            print(f"retry {name}: ERR_NETWORK_CHANGED (try {attempt})", flush=True)
            settle()
            continue
        errors = site_errors(console)
        if errors:
            failure = "; ".join(filter(None, [failure, "console errors: " + " | ".join(errors)]))
        if failure:
            print(f"FAIL {name}: {failure}", flush=True)
            return False
        again = f" (try {attempt})" if attempt > 1 else ""
        print(f"ok {name}: {detail}{again}", flush=True)
        return True
    print(f"FAIL {name}: ERR_NETWORK_CHANGED on each of {TRIES} tries", flush=True)
    return False


PAGES = [
    ("front", front),
    ("login", login),
    ("editor", editor),
    ("site", site),
    ("updates", updates),
]
try:
    results = [check(name, page) for name, page in PAGES]
finally:
    driver.quit()
sys.exit(0 if all(results) else 1)
