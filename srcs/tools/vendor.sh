#!/usr/bin/env bash
# The Rust crates, for image builds that need nothing but Debian's archive: `cargo vendor`
# into vendor/ (when this machine has cargo), packed into vendor/crates.tar.gz, which is what
# the compile stage copies and unpacks (srcs/tools/cargo-build). Every build sends its
# context to the engine, and the engine hashes what COPY takes: one file of about 15 MB
# instead of 7,800 files of 90 MB.
#
# The archive is reproducible (sorted names, no dates, no owners), so that an unchanged set of
# crates keeps its layers cached. vendor/.Cargo.lock is the lock file the crates came from:
# while it matches Cargo.lock, nothing is rewritten (cargo vendor empties vendor/ first,
# under any build that would be reading it).
#
# usage: srcs/tools/vendor.sh     (make vendor)
set -euo pipefail
cd "$(dirname "$0")/../.."

archive=vendor/crates.tar.gz
NAME=vendor
# shellcheck source=srcs/tools/lib.sh
. srcs/tools/lib.sh
crates() { ls vendor/*/.cargo-checksum.json >/dev/null 2>&1; }

if command -v cargo >/dev/null; then
	if crates && [ -f "$archive" ] && cmp -s Cargo.lock vendor/.Cargo.lock; then
		say "crates in vendor/ match Cargo.lock"
		exit 0
	fi
	cargo vendor --locked --quiet vendor >/dev/null
	cp Cargo.lock vendor/.Cargo.lock
elif [ -f "$archive" ]; then
	say "no cargo on this machine; the compile stage uses $archive as it is"
	exit 0
elif crates; then
	say "no cargo on this machine; packing the crates already in vendor/"
else
	say "no cargo on this machine and no crates in vendor/; the compile stage fetches them online"
	exit 0
fi

# Windows-only crates' import libraries stay out: cargo reads those crates' manifests (they
# are in Cargo.lock) but never builds them on Linux. A third of vendor/'s size.
tmp=$(mktemp vendor/.crates.XXXXXX)
trap 'rm -f "$tmp"' EXIT
find vendor -mindepth 1 -maxdepth 1 -type d -printf '%f\n' |
	tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
		--exclude='windows*/lib' --exclude='windows-sys*/src/Windows' \
		-C vendor -T - -cf - |
	gzip -n >"$tmp"
chmod 644 "$tmp"
mv "$tmp" "$archive"
say "crates in vendor/, packed into $archive ($(du -h "$archive" | cut -f1))"
