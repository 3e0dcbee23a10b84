#!/usr/bin/env bash
# Makes sure the image every service is built FROM exists: debian:bookworm.
#   1. a local debian:bookworm is used as it is;
#   2. otherwise it is built from Debian's archive with debootstrap (minbase), slimmed
#      (no apt lists, docs, man pages or locales, and a dpkg filter that keeps later
#      installs from adding them back) and imported.
#
# usage: srcs/tools/base-image.sh        env: BASE_IMAGE, DEBIAN_MIRROR, SECURITY_MIRROR
# Runs as any user who can reach the engine; the debootstrap step runs through sudo.
set -euo pipefail

NAME=base
# shellcheck source=srcs/tools/lib.sh
. "$(dirname "$0")/lib.sh"
image="${BASE_IMAGE:-debian:bookworm}"

if docker image inspect "$image" >/dev/null 2>&1; then
	say "$image present locally ($(docker image inspect -f '{{.Size}}' "$image" | numfmt --to=iec))"
	exit 0
fi
# Nothing is pulled from a registry: the image is made here, from Debian's archive.
# debootstrap needs root: through sudo, as provision.sh, whoever runs make.
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || die "debootstrap needs root: run as root or install sudo"
	exec sudo --preserve-env=BASE_IMAGE,DEBIAN_MIRROR,SECURITY_MIRROR -- "$0" "$@"
fi
say "$image not available; building it from $mirror with debootstrap"
command -v debootstrap >/dev/null || die "debootstrap is missing: run srcs/tools/provision.sh"

# In /var/tmp: the tree needs device nodes and executables, which a /tmp mounted nodev or
# noexec (a tmpfs, on hardened systems and in containers) refuses.
rootfs="$(mktemp -d /var/tmp/inception-rootfs.XXXXXX)"
trap 'rm -rf "$rootfs"' EXIT

bookworm_tree "$rootfs" "$rootfs.log"
rm -f "$rootfs.log"

# Keep documentation and translations out of every later layer too.
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/01-slim" <<'DPKG'
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
path-exclude=/usr/share/lintian/*
DPKG
# Never recommend, never keep downloaded packages, and no binary package caches: apt
# rebuilds them from the lists (which every layer deletes), and left in /var/cache/apt they
# would add 80 MB to each image that runs apt-get.
cat >"$rootfs/etc/apt/apt.conf.d/01-slim" <<'APT'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Binary::apt::APT::Keep-Downloaded-Packages "false";
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT

# What debootstrap leaves behind that an image does not need.
find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/lintian/*
find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/cache/debconf/*-old \
	"$rootfs"/var/log/* "$rootfs"/tmp/* "$rootfs"/var/tmp/*
# A container gets its own hostname and resolver from the engine.
: >"$rootfs/etc/hostname"
rm -f "$rootfs/etc/resolv.conf"

tar --numeric-owner -C "$rootfs" -c . |
	docker import --change 'CMD ["bash"]' --change 'ENV LANG=C.UTF-8' - "$image" >/dev/null
say "$image built ($(docker image inspect -f '{{.Size}}' "$image" | numfmt --to=iec))"
