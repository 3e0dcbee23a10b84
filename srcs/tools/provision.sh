#!/usr/bin/env bash
# Installs and starts what the stack needs on a Debian 12 host, and only what is missing:
# the Docker engine and compose (Debian's packages) and debootstrap for the base image; with
# --tests, the client tools the tests use; with --vm, what `make vm` needs (qemu, UEFI
# firmware, GRUB's EFI modules, FAT and ext4 tools). Starts the engine when none answers and
# leaves a running one alone. Optionally adds a hosts entry and creates data directories.
#
# usage: srcs/tools/provision.sh [--tests] [--vm] [--domain NAME] [--data-dir DIR]
# Idempotent: a second run changes nothing and says so.
set -euo pipefail

domain=""
data_dir=""
tests=0
vm=0
args=("$@")
while [ $# -gt 0 ]; do
	case "$1" in
		--tests) tests=1; shift ;;
		--vm) vm=1; shift ;;
		--domain) domain="$2"; shift 2 ;;
		--data-dir) data_dir="$2"; shift 2 ;;
		*) echo "provision: unknown argument: $1" >&2; exit 2 ;;
	esac
done

NAME=provision
# shellcheck source=srcs/tools/lib.sh
. "$(dirname "$0")/lib.sh"

# Everything below needs root; re-run through sudo when we are not.
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || die "run as root or install sudo"
	exec sudo -- "$0" "${args[@]}"
fi

# Packages: name of a command or file that proves it is there, then the Debian package.
# Every check is kept, so that the same list is verified again after installing.
need=()
checks=()
check() {
	checks+=("$1 $2")
	command -v "$1" >/dev/null 2>&1 || [ -e "$1" ] || need+=("$2")
}
check dockerd docker.io
check docker docker.io
check debootstrap debootstrap
if [ "$tests" = 1 ]; then
	# Clients the tests use: HTTPS requests, TLS handshakes, load, a TLS scan.
	check curl curl
	check openssl openssl
	check wrk wrk
	check testssl testssl.sh
	# Compressed init scripts for the mariadb image's tests.
	check xz xz-utils
	check zstd zstd
	# make lint checks every shell script.
	check shellcheck shellcheck
	# A real browser for tests/browser/pages.py: headless Chromium driven by Selenium
	# (a python module: the file Debian's package installs proves it is there).
	check chromium chromium
	check chromedriver chromium-driver
	check /usr/lib/python3/dist-packages/selenium/__init__.py python3-selenium
fi
if [ "$vm" = 1 ]; then
	# The VM: a disk image made from a debootstrapped tree without loop devices (ext4 and
	# FAT filesystems written from files), booted by UEFI firmware through GRUB.
	check qemu-system-x86_64 qemu-system-x86
	check qemu-img qemu-utils
	check /usr/share/OVMF/OVMF_CODE_4M.fd ovmf
	check /usr/lib/grub/x86_64-efi/linux.mod grub-efi-amd64-bin
	check grub-mkstandalone grub-common
	check mcopy mtools
	check mkfs.vfat dosfstools
	check mkfs.ext4 e2fsprogs
	check sfdisk fdisk
	check socat socat
	check ssh openssh-client
	check ssh-keygen openssh-client
	check curl curl
	check openssl openssl
fi
# compose: v2 plugin or v1 binary, either will do
if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null 2>&1; then
	need+=(docker-compose)
fi
# What is still missing, one "command package" line each.
missing() {
	local c
	for c in "${checks[@]}"; do
		command -v "${c% *}" >/dev/null 2>&1 || [ -e "${c% *}" ] || echo "$c"
	done
}
apt_install() {
	mapfile -t need < <(printf '%s\n' "$@" | sort -u)
	say "installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}
if [ ${#need[@]} -gt 0 ]; then
	apt-get update -qq
	apt_install "${need[@]}"
	# An install can remove a package that was there: qemu-system-x86 takes qemu-utils away
	# when a newer qemu-utils (from backports) was installed. Install what went missing once
	# more, then give up naming it.
	gone=$(missing)
	if [ -n "$gone" ]; then
		say "missing after the install: $(echo "$gone" | cut -d' ' -f1 | xargs)"
		# shellcheck disable=SC2046 # one word per package
		apt_install $(echo "$gone" | cut -d' ' -f2)
	fi
	gone=$(missing)
	[ -z "$gone" ] || die "still missing after installing: $(echo "$gone" |
		sed 's/^\(.*\) \(.*\)$/\1 (package \2)/' | paste -sd, | sed 's/,/, /g')"
	docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null ||
		die "still missing after installing: docker-compose (package docker-compose)"
else
	say "packages: all present"
fi

# Engine: leave a running one alone; otherwise start it and wait (bounded).
if docker info >/dev/null 2>&1; then
	say "docker engine: already running"
else
	say "docker engine: not answering, starting it"
	if [ -d /run/systemd/system ] && systemctl start docker 2>/dev/null; then
		:
	else
		# No systemd (containers, CI sandboxes): run the daemon detached, logging to a file.
		mkdir -p /var/log
		setsid dockerd >/var/log/dockerd.log 2>&1 < /dev/null &
	fi
	for _ in $(seq 1 60); do
		docker info >/dev/null 2>&1 && break
		sleep 1
	done
	docker info >/dev/null 2>&1 ||
		die "docker engine did not answer within 60 s; see /var/log/dockerd.log or 'journalctl -u docker'"
	say "docker engine: running"
fi

# Hosts entry: the domain resolves to this machine.
if [ -n "$domain" ]; then
	if grep -qE "^[^#]*[[:space:]]${domain//./\\.}([[:space:]]|\$)" /etc/hosts; then
		say "hosts: $domain already present"
	else
		printf '127.0.0.1\t%s\n' "$domain" >>/etc/hosts
		say "hosts: added 127.0.0.1 $domain"
	fi
fi

# Data directories for the named volumes. The services' entrypoints give each its owner
# inside the container (mysql, www-data); the top one belongs to the user who ran make, so
# that they can list it.
if [ -n "$data_dir" ]; then
	if [ ! -d "$data_dir" ]; then
		mkdir -p "$data_dir"
		[ -z "${SUDO_UID:-}" ] || chown "$SUDO_UID:${SUDO_GID:-$SUDO_UID}" "$data_dir"
	fi
	"$(dirname "$0")/compose-facts.sh" data-dirs | while read -r name; do
		if [ -d "$data_dir/$name" ]; then
			say "data: $data_dir/$name exists"
		else
			mkdir -p "$data_dir/$name"
			say "data: created $data_dir/$name"
		fi
	done
fi
