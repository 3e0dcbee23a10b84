#!/usr/bin/env bash
# Waits until every container of a compose project is healthy, printing progress when it
# changes. On timeout, prints the logs of the containers that are not healthy and fails.
#
# usage: srcs/tools/wait-healthy.sh PROJECT [TIMEOUT_SECONDS]
set -euo pipefail
project="$1"
timeout="${2:-180}"

if [ -t 1 ]; then green=$'\e[32m' red=$'\e[31m' dim=$'\e[2m' off=$'\e[0m'; else green="" red="" dim="" off=""; fi

containers() {
	docker ps -a --filter "label=com.docker.compose.project=$project" --format '{{.Names}}' | sort
}

start=$SECONDS
last=""
while :; do
	names=$(containers)
	[ -n "$names" ] || { echo "${red}wait: no containers in project $project${off}" >&2; exit 1; }
	line=""
	pending=0
	for c in $names; do
		s=$(docker inspect -f '{{.State.Status}}{{if .State.Health}}/{{.State.Health.Status}}{{end}}' "$c" 2>/dev/null || echo gone)
		service=$(docker inspect -f '{{index .Config.Labels "com.docker.compose.service"}}' "$c" 2>/dev/null || echo "$c")
		case "$s" in
			running/healthy) line+=" ${green}${service}:healthy${off}" ;;
			*) line+=" ${service}:${s#running/}"; pending=$((pending + 1)) ;;
		esac
	done
	if [ "$line" != "$last" ]; then
		printf '%s[%3ds]%s%s\n' "$dim" $((SECONDS - start)) "$off" "$line"
		last="$line"
	fi
	[ "$pending" -eq 0 ] && { echo "${green}all services healthy after $((SECONDS - start)) s${off}"; exit 0; }
	if [ $((SECONDS - start)) -ge "$timeout" ]; then
		echo "${red}wait: not healthy after ${timeout} s${off}" >&2
		for c in $names; do
			h=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$c" 2>/dev/null || true)
			[ "$h" = healthy ] && continue
			echo "----- logs of $c (last 40 lines) -----" >&2
			docker logs --tail 40 "$c" 2>&1 | sed 's/^/  /' >&2
		done
		exit 1
	fi
	sleep 0.5
done
