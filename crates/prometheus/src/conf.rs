//! prometheus.yml, rendered at every start from the template in the image.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;
use inception_core::fs;
use inception_core::template::Template;

use crate::settings::{ROUTE_PREFIX, Settings};
use crate::web;

/// The template, as installed in the image.
pub const TEMPLATE: &str = "/etc/inception/prometheus.yml.tmpl";
/// The rendered configuration (a runtime directory: the image stays as built).
pub const RENDERED: &str = "/run/prometheus/prometheus.yml";

/// Renders `tmpl` with `settings`; `user` is who Prometheus reads itself as.
pub fn render(tmpl: &Template, settings: &Settings, user: &str) -> anyhow::Result<String> {
    let values = HashMap::from([
        ("USER", user.to_owned()),
        ("PASSWORD_FILE", web::PASSWORD.to_owned()),
        ("DOMAIN", settings.site.domain.clone()),
        ("SCRAPE_INTERVAL", settings.scrape_interval.clone()),
        ("ROUTE_PREFIX", ROUTE_PREFIX.to_owned()),
        ("MYSQLD_EXPORTERS", quoted_list(&settings.mysqld_exporters)),
    ]);
    Ok(tmpl.render(&values)?)
}

/// `"a", "b"`: the items of a YAML flow sequence (the items are checked: no quote in them).
fn quoted_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("{i:?}")).collect();
    quoted.join(", ")
}

/// Renders the template into [`RENDERED`]; returns its path.
pub fn write(settings: &Settings, user: &str) -> anyhow::Result<String> {
    let out = render(&Template::load(TEMPLATE)?, settings, user)?;
    let path = Path::new(RENDERED);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    // No secret in it (the password is a file of its own): readable by Prometheus, which
    // runs as another user.
    fs::write_atomic(path, out.as_bytes(), 0o644)?;
    Ok(RENDERED.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use inception_core::config::Config;

    const TMPL: &str =
        include_str!("../../../srcs/requirements/prometheus/conf/prometheus.yml.tmpl");

    #[test]
    fn renders_every_placeholder_and_scrapes_every_target() {
        let settings = Settings::read(&Config::from_pairs(&[("DOMAIN_NAME", "me.42.fr")])).unwrap();
        let out = render(&Template::from_text(TEMPLATE, TMPL), &settings, "ops").unwrap();
        assert!(!out.contains("{{"));
        assert!(out.contains("scrape_interval: 10s"));
        assert!(out.contains("https://me.42.fr/"));
        assert!(out.contains("metrics_path: /prometheus/metrics"));
        // Prometheus reads itself with the credentials it asks for.
        assert!(out.contains("username: ops\n"));
        assert!(out.contains("password_file: /run/prometheus/password\n"));
        for job in [
            "nginx",
            "mariadb",
            "redis",
            "php-fpm",
            "data-dir",
            "certificate",
            "prometheus",
        ] {
            assert!(out.contains(&format!("job_name: {job}\n")), "no job {job}");
        }
        assert!(out.contains("/etc/prometheus/rules/inception.yml"));
        assert!(out.contains(r#"- targets: ["mysqld-exporter:9104"]"#));
    }

    #[test]
    fn the_swarm_stack_scrapes_one_mysqld_exporter_per_member() {
        let settings = Settings::read(&Config::from_pairs(&[
            ("DOMAIN_NAME", "me.42.fr"),
            (
                "PROMETHEUS_MYSQLD_EXPORTERS",
                "mysqld-exporter-1:9104,mysqld-exporter-2:9104",
            ),
        ]))
        .unwrap();
        let out = render(
            &Template::from_text(TEMPLATE, TMPL),
            &settings,
            "prometheus",
        )
        .unwrap();
        assert!(out.contains(r#"- targets: ["mysqld-exporter-1:9104", "mysqld-exporter-2:9104"]"#));
    }
}
