# ---- Compile stage: the same in every service Dockerfile, so that the layer cache     ----
# ---- compiles the Rust workspace once per build and every other service reuses it.   ----
# ---- Written from srcs/requirements/compile-stage.Dockerfile by `make dockerfiles`.   ----

# Just the crates' manifests, so that the dependency layer is reused until they change.
FROM debian:bookworm AS manifests
COPY crates/ /src/crates/
RUN find /src/crates -type f ! -name Cargo.toml -delete
# Marks the build stages' cache images: `make build` keeps the newest of each, `make clean`
# removes them all.
LABEL org.inception.stage=manifests

FROM debian:bookworm AS compile

# rustc-web/cargo-web: Debian's maintained Rust for bookworm (bookworm-security);
# gcc and libc6-dev: linker, the static glibc, and C code of the ring crate.
RUN set -eux; \
	apt-get update; \
	apt-get install -y --no-install-recommends rustc-web cargo-web gcc libc6-dev ca-certificates; \
	rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin; \
	rustc --version; cargo --version

ENV CARGO_HOME=/usr/local/cargo \
	CARGO_TERM_COLOR=never \
	CARGO_NET_RETRY=5
WORKDIR /src
COPY srcs/tools/cargo-build /usr/local/bin/
# Dependencies first, against placeholder crates: rebuilt only when the manifests, the lock
# file or the vendored crates change, not when our code does. The crates come packed
# (srcs/tools/vendor.sh); `crates.tar.g[z]` lets the build go on without them (crates.io).
COPY Cargo.toml Cargo.lock ./
COPY vendor/.gitkeep vendor/crates.tar.g[z] vendor/
COPY --from=manifests /src/crates/ crates/
COPY tests/Cargo.toml tests/
RUN cargo-build deps
# Our code: only the workspace's own crates are compiled here; binaries land in /out.
COPY crates/ crates/
RUN cargo-build all
LABEL org.inception.stage=compile
