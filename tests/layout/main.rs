//! The repository's shape as the project fixes it, read from the files themselves: the
//! compile stage every service Dockerfile shares, and what compose builds. No Docker needed:
//! `make test-unit` runs it.

use inception_tests::*;

/// Where every service Dockerfile's compile stage is written from (`make dockerfiles`).
const COMPILE_STAGE: &str = "srcs/requirements/compile-stage.Dockerfile";

/// Every image compose builds: the services it runs, then those only the Swarm stack runs.
fn every_image() -> Vec<&'static str> {
    let mut all = all_services().to_vec();
    all.extend_from_slice(compose_facts("swarm"));
    all
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn every_service_dockerfile_holds_the_one_compile_stage() {
    let template = read(COMPILE_STAGE);
    assert!(
        template.starts_with("# ---- Compile stage")
            && template.ends_with("RUN cargo-build all\nLABEL org.inception.stage=compile\n"),
        "{COMPILE_STAGE} is not a compile stage"
    );
    for s in every_image() {
        let dockerfile = read(&format!("srcs/requirements/{s}/Dockerfile"));
        // Character for character: then the layer cache compiles the workspace once per
        // build, whichever image needs it first.
        assert!(
            dockerfile.contains(&format!("\n\n{template}\n")),
            "the compile stage of {s} differs from {COMPILE_STAGE}: run make dockerfiles"
        );
        assert!(
            dockerfile.contains(&format!("COPY --from=compile /out/inception-{s} ")),
            "{s} does not copy its binary from the compile stage"
        );
        assert!(
            !dockerfile.contains("ARG BUILDER"),
            "{s} uses an outside builder image"
        );
        // The service's command line is its crate's (cli::Service::command), not repeated.
        assert!(
            !dockerfile.lines().any(|l| l.starts_with("CMD ")),
            "{s}'s Dockerfile has a CMD"
        );
    }
    // The packages stage comes before the compile stage (srcs/tools/build-images.sh builds
    // it while the workspace compiles), and the service stage starts from it.
    for s in every_image() {
        let dockerfile = read(&format!("srcs/requirements/{s}/Dockerfile"));
        let packages = dockerfile.find("FROM debian:bookworm AS packages\n");
        let manifests = dockerfile.find("FROM debian:bookworm AS manifests\n");
        assert!(
            matches!((packages, manifests), (Some(p), Some(m)) if p < m),
            "{s}: no packages stage before the compile stage"
        );
        assert!(
            dockerfile.contains("\nFROM packages\n"),
            "{s}: the service stage does not start from the packages stage"
        );
    }
}

#[test]
fn compose_builds_every_image_from_its_own_dockerfile_with_the_root_as_context() {
    let compose = std::fs::read_to_string(repo().join("docker-compose.yml")).unwrap();
    for s in every_image() {
        // The service's block: from `  <s>:` to the next line indented by two spaces.
        let start = compose
            .find(&format!("\n  {s}:\n"))
            .unwrap_or_else(|| panic!("no service {s}"));
        let rest = &compose[start + 1..];
        let end = rest
            .match_indices("\n  ")
            .find(|(i, _)| rest[i + 3..].starts_with(|c: char| c.is_ascii_alphabetic()))
            .map_or(rest.len(), |(i, _)| i);
        let block = &rest[..end];
        let build = format!(
            "    build:\n      context: .\n      dockerfile: srcs/requirements/{s}/Dockerfile\n"
        );
        assert!(block.contains(&build), "{s}: expected\n{build}in\n{block}");
        // The source hash `make build` compares (srcs/tools/source-hash.sh) becomes a label.
        assert!(
            block.contains("      args: *source\n") || block.contains("      args: &source "),
            "{s} is not built with the INCEPTION_SOURCE argument:\n{block}"
        );
        assert!(
            block.contains(&format!("    image: {s}:${{TAG:-inception}}\n")),
            "{s}: image name"
        );
        let dockerfile =
            std::fs::read_to_string(repo().join(format!("srcs/requirements/{s}/Dockerfile")))
                .unwrap();
        assert!(
            dockerfile.ends_with("LABEL org.inception.source=$INCEPTION_SOURCE\n"),
            "{s}'s Dockerfile does not end with the source label"
        );
    }
    assert!(compose.contains("args: &source { INCEPTION_SOURCE: \"${INCEPTION_SOURCE:-}\" }"));
    assert!(!compose.contains("latest"));
}

#[test]
fn compose_runs_the_subjects_three_services_and_each_has_a_dockerfile() {
    assert_eq!(compose_facts("mandatory"), MANDATORY);
    assert_eq!(&all_services()[..MANDATORY.len()], MANDATORY);
    for s in every_image() {
        assert!(
            repo()
                .join(format!("srcs/requirements/{s}/Dockerfile"))
                .is_file(),
            "{s} has no Dockerfile"
        );
    }
    // Every secret and data directory compose names is one make provides.
    let make = std::fs::read_to_string(repo().join("Makefile")).unwrap();
    assert!(
        make.contains("compose-facts.sh mandatory") && make.contains("compose-facts.sh data-dirs")
    );
    assert_eq!(
        compose_facts("data-dirs"),
        ["mariadb", "wordpress", "backups"]
    );
    assert!(secrets().contains(&"db_password") && secrets().contains(&"wp_admin_password"));
}
