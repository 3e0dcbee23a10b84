#!/bin/sh
# WordPress core from Debian's package in SUITE, made self-contained in DEST; run in the
# wordpress image's `source` build stage, where nothing of it is installed.
#
# Debian replaces some of WordPress's bundled files with symlinks into other packages
# (getID3, PHPMailer, jQuery UI, lodash, underscore, cropper, the CA bundle). The package's
# own list of links says which: each link becomes a copy of its target, taken from the
# packages the link points into, which are unpacked here too. The default theme is the one the package recommends.
#
# usage: wordpress-source.sh SUITE DEST     (SUITE: forky, trixie, bookworm, ...; empty: forky)
set -eu

# Debian testing by its name, not "testing": the suite a build takes stays the same when
# Debian releases testing as its next stable.
suite="${1:-forky}"
dest="$2"
say() { printf 'wordpress-source: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# Only SUITE's archive (with its -updates and -security; unstable has neither), on the base
# image's mirrors.
sed -e "s/\bbookworm\b/$suite/" /etc/apt/sources.list >/tmp/sources.list
case "$suite" in sid | unstable) sed -i "/$suite-updates\|$suite-security/d" /tmp/sources.list ;; esac
mv /tmp/sources.list /etc/apt/sources.list
# Testing's and unstable's Release files say they expire within a week (stable's do not): a
# mirror or snapshot that lags behind still serves them, signed. The signatures are checked.
apt-get -o Acquire::Check-Valid-Until=false update -qq || die "cannot read Debian $suite's package lists"
apt-cache show wordpress >/dev/null 2>&1 \
	|| die "Debian $suite has no wordpress package: build with another WORDPRESS_SUITE"

# The package, its recommended theme, and the libraries its links point into: Depends
# entries that are libraries (libjs-*, libphp-*, php-getid3), which hold no web server nor PHP
# itself.
depends=$(apt-cache depends wordpress)
theme=$(printf '%s\n' "$depends" | sed -n 's/^ *Recommends: \(wordpress-theme-[a-z0-9-]*\)$/\1/p' | head -n 1)
[ -n "$theme" ] || die "Debian $suite's wordpress recommends no theme package"
libraries=$(printf '%s\n' "$depends" | sed -n 's/^ *Depends: \(libjs-[a-z0-9.-]*\|libphp-[a-z0-9.-]*\|php-getid3\)$/\1/p' | sort -u)
mkdir -p /tmp/debs
cd /tmp/debs
# shellcheck disable=SC2086 # one package per word
apt-get download -qq wordpress "$theme" $libraries
for deb in ./*.deb; do
	dpkg-deb -x "$deb" /
done
version=$(sed -n "s/^\$wp_version = '\(.*\)';/\1/p" /usr/share/wordpress/wp-includes/version.php)
[ -n "$version" ] || die "no \$wp_version in the package's wp-includes/version.php"
say "WordPress $version from Debian $suite ($(dpkg-deb -f wordpress_*.deb Version)), theme $theme"

mkdir -p "$dest"
cp -a /usr/share/wordpress/. "$dest/"
# Debian's wp-config.php reads /etc/wordpress, ours is generated at start; no Apache here.
rm -f "$dest/wp-config.php"
find "$dest" -name .htaccess -delete

# The package's links, made real files.
dpkg-deb -c wordpress_*.deb | sed -n 's|^l.* \./usr/share/wordpress/\(.*\) -> .*$|\1|p' >/tmp/links
while read -r link; do
	case "$link" in *.htaccess) continue ;; esac
	if ! target=$(readlink -f "/usr/share/wordpress/$link") || [ ! -f "$target" ]; then
		die "$link links to $(readlink "/usr/share/wordpress/$link"), which no unpacked package holds"
	fi
	cp --remove-destination "$target" "$dest/$link"
done </tmp/links
left=$(find "$dest" -type l)
[ -z "$left" ] || die "links left in WordPress's files: $left"
say "$(wc -l </tmp/links) links replaced by their targets"
