#!/usr/bin/env bash
# The Swarm stack on the swarm the docker CLI talks to (this engine, or DOCKER_HOST / the
# current docker context: a manager). Its file is made here, from docker-compose.yml and the
# Swarm's differences, srcs/swarm/overrides.yml: compose merges them with the settings
# (`config`), and `inception-init swarm-stack` makes a file `docker stack deploy` takes of
# that (crates/init/src/stack.rs says what it changes).
#
#   config   prints the stack file (what deploy deploys)
#   deploy   checks what the stack needs (a manager, the nodes labelled inception.node=1..3
#            for the Galera members, the images here), generates missing secrets, then
#            `docker stack deploy` of the stack file
#   wait     waits until every service runs all its tasks healthy (SWARM_WAIT seconds, 600);
#            on timeout, prints the tasks that are not, with their errors
#   rm       removes the stack (the members' volumes and the shared files stay)
#
# Each node needs the images (a registry, or `docker save | docker load`: the engine
# cannot pull ours) and the shared directory SWARM_SHARED (srcs/.env: a GlusterFS mount)
# holding wordpress/: docs/swarm.md.
#
# usage: srcs/tools/swarm.sh config|deploy|wait|rm
#        env (make swarm passes them): ENV_FILE, SECRETS_DIR, TAG, INIT_BINARY (inception-init)
#        and COMPOSE_BIN (the compose command) for config and deploy; STACK (inception),
#        SWARM_WAIT
set -euo pipefail
cd "$(dirname "$0")/../.."
NAME=swarm
# shellcheck source=srcs/tools/lib.sh
. srcs/tools/lib.sh

overrides=srcs/swarm/overrides.yml
stack="${STACK:-inception}"

# What config and deploy need, from the caller (make swarm); the stack file deploy makes.
env_file="" secrets_dir="" tag="" init="" compose=() file=""
settings() {
	env_file="${ENV_FILE:?set ENV_FILE (make swarm passes it)}"
	secrets_dir="${SECRETS_DIR:?set SECRETS_DIR (make swarm passes it)}"
	tag="${TAG:?set TAG (make swarm passes it)}"
	init="${INIT_BINARY:?set INIT_BINARY: inception-init (make swarm builds it)}"
	# (As the Makefile picks it: v2 when present, else v1.)
	read -ra compose <<<"${COMPOSE_BIN:-$(docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)}"
	[ -f "$env_file" ] || die "no $env_file: make configure makes it"
}

# The stack file on stdout, from the settings of ENV_FILE (srcs/.env.example's for the keys
# it lacks, as make takes them) and the caller's SECRETS_DIR and TAG.
stack_file() {
	(
		set -a
		# shellcheck source=srcs/.env.example
		. srcs/.env.example
		# shellcheck source=/dev/null
		. "$env_file"
		set +a
		# What the caller passed wins over the file, as in make.
		SECRETS_DIR="$(realpath "$secrets_dir")"
		TAG="$tag"
		"${compose[@]}" -f docker-compose.yml -f "$overrides" config
	) | "$init" swarm-stack
}

deploy() {
	[ "$(docker info -f '{{.Swarm.LocalNodeState}}')" = active ] ||
		die "this engine is not part of a swarm: docker swarm init (then join the other nodes)"
	[ "$(docker info -f '{{.Swarm.ControlAvailable}}')" = true ] ||
		die "this engine is not a manager of the swarm: run it on a manager"
	local labels n
	labels="$(docker node ls -q | xargs docker node inspect -f '{{index .Spec.Labels "inception.node"}}')"
	for n in 1 2 3; do
		[ "$(grep -cx "$n" <<<"$labels")" -eq 1 ] ||
			die "Galera member $n needs exactly one node labelled inception.node=$n" \
				"(docker node update --label-add inception.node=$n NODE)"
	done

	# The secrets of both files exist before the stack file is made (an empty one, an
	# optional password not given, stays out of it).
	mapfile -t secrets < <(srcs/tools/compose-facts.sh secrets docker-compose.yml
		srcs/tools/compose-facts.sh secrets "$overrides")
	srcs/tools/configure.sh "$env_file" "$secrets_dir" "${secrets[@]}"
	file="$(mktemp)"
	trap 'rm -f "$file"' EXIT
	stack_file >"$file"

	local image missing=()
	while read -r image; do
		docker image inspect "$image" >/dev/null 2>&1 || missing+=("$image")
	done < <(awk '/^    image:/ { print $2 }' "$file" | sort -u)
	[ ${#missing[@]} -eq 0 ] || die "missing images: ${missing[*]} (make build BONUS=1, then load them on every node)"

	# The images are not in a registry: each node uses its own copy.
	docker stack deploy --resolve-image never --prune -c "$file" "$stack"
}

# "name running/wanted" per service, e.g. "inception_nginx 3/3". A task of a service with a
# health check counts as running once healthy (Swarm keeps it "starting" until then).
replicas() {
	docker stack services "$stack" --format '{{.Name}} {{.Replicas}}'
}

wait_ready() {
	local deadline=$((SECONDS + ${SWARM_WAIT:-600})) pending
	while :; do
		pending="$(replicas | awk '{ split($2, r, "/"); if (r[1] != r[2] || r[2] == 0) print }')"
		[ -n "$(replicas)" ] || die "no stack $stack"
		if [ -z "$pending" ]; then
			say "every service of $stack runs, healthy ($(replicas | awk '{ printf "%s%s %s", sep, $1, $2; sep = ", " }'))"
			return 0
		fi
		if [ $SECONDS -ge "$deadline" ]; then
			say "not ready after ${SWARM_WAIT:-600} s:" >&2
			printf '%s\n' "$pending" >&2
			docker stack ps "$stack" --no-trunc --filter desired-state=running \
				--format '{{.Name}} {{.Node}} {{.CurrentState}} {{.Error}}' >&2
			exit 1
		fi
		sleep 2
	done
}

case "${1:-}" in
	config) settings && stack_file ;;
	deploy) settings && deploy ;;
	wait) wait_ready ;;
	rm) docker stack rm "$stack" ;;
	*) echo "usage: srcs/tools/swarm.sh config|deploy|wait|rm" >&2; exit 2 ;;
esac
