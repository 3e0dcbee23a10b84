#!/usr/bin/env bash
# The services of a compose project, read with one `docker inspect` of all its containers:
#   status.sh PROJECT                  one line per service: state, health, and the service's
#                                      own health message (what `health` printed last);
#   status.sh --wait PROJECT [SECONDS] waits until every service is healthy, printing
#                                      progress when it changes; on timeout, prints the logs
#                                      of those that are not and fails.
#
# usage: srcs/tools/status.sh [--wait] PROJECT [TIMEOUT_SECONDS]   (make status, make wait)
set -euo pipefail
wait=0
[ "$1" = --wait ] && { wait=1; shift; }
project="$1"
timeout="${2:-180}"

if [ -t 1 ]; then
	green=$'\e[32m' red=$'\e[31m' yellow=$'\e[33m' dim=$'\e[2m' off=$'\e[0m'
else
	green="" red="" yellow="" dim="" off=""
fi

# One line per container, by service name: NAME SERVICE STATE HEALTH ('-': no healthcheck).
read_states() {
	local ids
	ids=$(docker ps -aq --filter "label=com.docker.compose.project=$project")
	[ -n "$ids" ] || return 0
	# shellcheck disable=SC2086 # one word per id
	docker inspect -f '{{.Name}} {{index .Config.Labels "com.docker.compose.service"}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}-{{end}}' $ids 2>/dev/null |
		sed 's|^/||' | sort -k2
}

colour() {
	case "$1" in
		healthy) printf '%s' "$green" ;;
		unhealthy) printf '%s' "$red" ;;
		*) printf '%s' "$yellow" ;;
	esac
}

if [ "$wait" = 0 ]; then
	states=$(read_states)
	if [ -z "$states" ]; then
		echo "no containers in project $project (start them with: make)"
		exit 0
	fi
	printf '%-18s %-10s %-10s %s\n' SERVICE STATE HEALTH MESSAGE
	while read -r name service state health; do
		# Each health output is one line: the last line is the latest verdict.
		message=$(docker inspect -f '{{if .State.Health}}{{range .State.Health.Log}}{{.Output}}{{end}}{{end}}' "$name" |
			grep -v '^$' | tail -n 1 || true)
		printf '%-18s %-10s %s%-10s%s %s\n' "$service" "$state" "$(colour "$health")" "$health" "$off" "$message"
	done <<<"$states"
	exit 0
fi

start=$SECONDS
last=""
while :; do
	states=$(read_states)
	[ -n "$states" ] || { echo "${red}wait: no containers in project $project${off}" >&2; exit 1; }
	line=""
	pending=()
	while read -r name service state health; do
		if [ "$state/$health" = running/healthy ]; then
			line+=" ${green}${service}:healthy${off}"
		else
			[ "$state" = running ] && state=$health
			line+=" ${service}:${state}"
			pending+=("$name")
		fi
	done <<<"$states"
	if [ "$line" != "$last" ]; then
		printf '%s[%3ds]%s%s\n' "$dim" $((SECONDS - start)) "$off" "$line"
		last="$line"
	fi
	if [ "${#pending[@]}" -eq 0 ]; then
		echo "${green}all services healthy after $((SECONDS - start)) s${off}"
		exit 0
	fi
	if [ $((SECONDS - start)) -ge "$timeout" ]; then
		echo "${red}wait: not healthy after ${timeout} s${off}" >&2
		for name in "${pending[@]}"; do
			echo "----- logs of $name (last 40 lines) -----" >&2
			docker logs --tail 40 "$name" 2>&1 | sed 's/^/  /' >&2
		done
		exit 1
	fi
	sleep 0.5
done
