# shellcheck shell=bash
# Sourced by the host scripts (srcs/tools/*.sh): their messages, and the Debian bookworm tree
# that base-image.sh imports as debian:bookworm and vm-build.sh makes the VM's system from.
# The sourcing script sets NAME, the prefix of its messages, first.

say() { printf '%s: %s\n' "$NAME" "$*"; }
die() { printf '%s: error: %s\n' "$NAME" "$*" >&2; exit 1; }

# Debian's archive (DEBIAN_MIRROR, SECURITY_MIRROR: another mirror, a local cache).
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
security="${SECURITY_MIRROR:-http://deb.debian.org/debian-security}"

# bookworm_tree ROOT LOG [DEBOOTSTRAP_OPTION...]: debootstrap's minbase bookworm in ROOT
# (its output in LOG, the end of it shown on failure), with the three suites a maintained
# bookworm needs as its sources.
bookworm_tree() {
	local root="$1" log="$2"
	shift 2
	debootstrap --variant=minbase "$@" bookworm "$root" "$mirror" >"$log" 2>&1 ||
		{ tail -n 20 "$log" >&2; die "debootstrap failed (log: $log)"; }
	cat >"$root/etc/apt/sources.list" <<-SOURCES
		deb $mirror bookworm main
		deb $mirror bookworm-updates main
		deb $security bookworm-security main
	SOURCES
}
