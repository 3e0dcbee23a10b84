#!/usr/bin/env bash
# One line per service of a compose project: state, health, and the service's own health
# message (what its `health` subcommand printed last).
#
# usage: srcs/tools/status.sh PROJECT
set -euo pipefail
project="$1"
if [ -t 1 ]; then green=$'\e[32m' red=$'\e[31m' yellow=$'\e[33m' off=$'\e[0m'; else green="" red="" yellow="" off=""; fi

names=$(docker ps -a --filter "label=com.docker.compose.project=$project" --format '{{.Names}}' | sort)
if [ -z "$names" ]; then
	echo "no containers in project $project (start them with: make)"
	exit 0
fi
printf '%-18s %-10s %-10s %s\n' SERVICE STATE HEALTH MESSAGE
for c in $names; do
	service=$(docker inspect -f '{{index .Config.Labels "com.docker.compose.service"}}' "$c")
	state=$(docker inspect -f '{{.State.Status}}' "$c")
	health=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}-{{end}}' "$c")
	# Each health output is one line: the last line is the latest verdict.
	message=$(docker inspect -f '{{if .State.Health}}{{range .State.Health.Log}}{{.Output}}{{end}}{{end}}' "$c" |
		grep -v '^$' | tail -n 1 || true)
	case "$health" in
		healthy) colour=$green ;;
		unhealthy) colour=$red ;;
		*) colour=$yellow ;;
	esac
	printf '%-18s %-10s %s%-10s%s %s\n' "$service" "$state" "$colour" "$health" "$off" "$message"
done
