#!/usr/bin/env bash
# Creates what the stack reads at start and must never lose: srcs/.env from
# srcs/.env.example (empty LOGIN, DOMAIN_NAME and DATA_DIR filled in) and one random secret per missing file in
# secrets/ (mode 600). Existing files are never overwritten.
#
# usage: srcs/tools/configure.sh [ENV_FILE [SECRETS_DIR [NAME...]]]
#   no SECRETS_DIR: the settings only; NAMEs: these secrets instead of the stack's (make vm)
set -euo pipefail
cd "$(dirname "$0")/../.."

env_file="${1:-srcs/.env}"
secrets_dir="${2:-}"
NAME=configure
# shellcheck source=srcs/tools/lib.sh
. srcs/tools/lib.sh
# Run through sudo (`sudo make`), the files still belong to the user who typed it: later
# steps and the user read and edit them without root.
owner() { [ -z "${SUDO_UID:-}" ] || [ "$(id -u)" -ne 0 ] || chown "$SUDO_UID:${SUDO_GID:-$SUDO_UID}" "$@"; }

# Earlier versions kept the settings at the top of the checkout: move them once.
if [ ! -e "$env_file" ] && [ "$env_file" = srcs/.env ] && [ -f .env ]; then
	mv .env "$env_file"
	say "moved .env to $env_file (where the settings live now)"
fi
if [ -f "$env_file" ]; then
	say "$env_file exists, kept"
else
	login="${LOGIN:-${SUDO_USER:-$(id -un)}}"
	sed -e "s|^LOGIN=\$|LOGIN=$login|" \
		-e "s|^DOMAIN_NAME=\$|DOMAIN_NAME=$login.42.fr|" \
		-e "s|^DATA_DIR=\$|DATA_DIR=/home/$login/data|" \
		srcs/.env.example >"$env_file"
	owner "$env_file"
	say "created $env_file for $login (edit it to change the domain, port or users)"
fi

[ -n "$secrets_dir" ] || exit 0

# The secrets docker-compose.yml declares, or those named on the command line.
mapfile -t secrets < <(srcs/tools/compose-facts.sh secrets)
[ $# -gt 2 ] && secrets=("${@:3}")
mkdir -p "$secrets_dir"
chmod 700 "$secrets_dir"
owner "$secrets_dir"
umask 077
created=()
for name in "${secrets[@]}"; do
	file="$secrets_dir/$name.txt"
	# The SMTP relay's password is the relay's, not ours to invent: an empty file until the
	# user writes it (compose needs the file).
	if [ "$name" = smtp_password ]; then
		[ -e "$file" ] || { : >"$file"; chmod 600 "$file"; owner "$file"; created+=("$name (empty)"); }
		continue
	fi
	[ -s "$file" ] && continue
	# 32 alphanumeric characters from the kernel's CSPRNG: about 190 bits.
	value=""
	while [ ${#value} -lt 32 ]; do
		value+=$(head -c 256 /dev/urandom | LC_ALL=C tr -dc 'A-Za-z0-9')
	done
	printf '%s' "${value:0:32}" >"$file"
	chmod 600 "$file"
	owner "$file"
	created+=("$name")
done
if [ ${#created[@]} -gt 0 ]; then
	say "generated ${created[*]} in $secrets_dir/"
else
	say "secrets in $secrets_dir/ exist, kept"
fi
