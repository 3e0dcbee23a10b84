#!/usr/bin/env bash
# What docker-compose.yml says about the stack, for the Makefile, the other scripts and the
# tests, so that each fact has one source: the compose file.
#   services    every service built from a Dockerfile of ours that compose runs, those
#               `make` runs first
#   mandatory   those `make` runs (no compose profile)
#   bonus       those only `make bonus` runs (profile bonus)
#   swarm       those only the Swarm stack runs (profile swarm: `make swarm`)
#   secrets     the secrets' names (files SECRETS_DIR/<name>.txt)
#   data-dirs   the directories under DATA_DIR that volumes bind
# One name per line. Read from the file's text (compose's own `config` needs srcs/.env and
# takes a second): services are the keys indented by two spaces under `services:`, with
# their `build:` and `profiles:` lines.
#
# usage: srcs/tools/compose-facts.sh services|mandatory|bonus|swarm|secrets|data-dirs [COMPOSE_FILE]
set -euo pipefail
what="${1:?usage: compose-facts.sh services|mandatory|bonus|swarm|secrets|data-dirs [COMPOSE_FILE]}"
file="${2:-$(dirname "$0")/../../docker-compose.yml}"

# "service built profiles" per service, in the file's order.
services() {
	awk '
		/^[a-z]/ { section = $1; next }
		section != "services:" { next }
		/^  [a-z][a-z0-9-]*:$/ { flush(); name = substr($1, 1, length($1) - 1); built = 0; profiles = "-"; next }
		/^    build:/ { built = 1 }
		/^    profiles:/ { profiles = $0; sub(/^ *profiles: *\[/, "", profiles); sub(/\].*/, "", profiles); gsub(/ /, "", profiles) }
		function flush() { if (name != "") print name, built, profiles; name = "" }
		END { flush() }
	' "$file"
}

case "$what" in
	services) services | awk '$2 == 1 && $3 == "-" { print $1 }'
		services | awk '$2 == 1 && $3 ~ /(^|,)bonus(,|$)/ { print $1 }' ;;
	mandatory) services | awk '$2 == 1 && $3 == "-" { print $1 }' ;;
	bonus) services | awk '$2 == 1 && $3 ~ /(^|,)bonus(,|$)/ { print $1 }' ;;
	swarm) services | awk '$2 == 1 && $3 == "swarm" { print $1 }' ;;
	secrets) awk '/^[a-z]/ { section = $1; next }
		section == "secrets:" && /^  [a-z][a-z0-9_]*:$/ { print substr($1, 1, length($1) - 1) }' "$file" ;;
	data-dirs) awk -F/ '/device: *"\$\{DATA_DIR/ { sub(/".*/, "", $NF); print $NF }' "$file" ;;
	*) echo "compose-facts: unknown fact '$what'" >&2; exit 2 ;;
esac
