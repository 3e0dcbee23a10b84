#!/usr/bin/env bash
# What the service images are built from, as one hash: the files the build reads (those the
# root .dockerignore lets into the context, vendor/ aside: Cargo.lock pins it; plus the
# Dockerfiles and docker-compose.yml), the base image's ID and WORDPRESS_SUITE. `make build`
# labels every image with it (org.inception.source) and builds nothing when every image it
# needs has the current one, so that an unchanged checkout, or a machine that loaded saved
# images (the VM), does not rebuild.
#
# usage: srcs/tools/source-hash.sh                 prints the hash
#        srcs/tools/source-hash.sh --check IMAGE...  prints it too; exit 0 when every IMAGE
#                                                    exists with it
set -euo pipefail
cd "$(dirname "$0")/../.."

base="${BASE_IMAGE:-debian:bookworm}"
hash=$(
	{
		find Cargo.toml Cargo.lock tests/Cargo.toml docker-compose.yml srcs/tools/cargo-build \
			crates srcs/requirements -path 'crates/*/target' -prune -o -type f -print0 |
			LC_ALL=C sort -z | xargs -0 sha256sum
		docker image inspect -f '{{.Id}}' "$base" 2>/dev/null || echo "no $base"
		# The one build setting outside these files (srcs/.env, which make exports).
		echo "WORDPRESS_SUITE=${WORDPRESS_SUITE:-}"
	} | sha256sum | cut -c1-16
)

echo "$hash"
[ "${1:-}" = --check ] || exit 0
shift
for image in "$@"; do
	label=$(docker image inspect -f '{{index .Config.Labels "org.inception.source"}}' "$image" 2>/dev/null) ||
		exit 1
	[ "$label" = "$hash" ] || exit 1
done
