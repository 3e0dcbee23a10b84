#!/usr/bin/env bash
# Builds the service images, keeping both cores busy. The legacy builder runs a Dockerfile's
# stages one after the other: one `compose build` would install a service's packages only
# once the workspace had compiled, and the wordpress image's WordPress after that. So, in
# two rounds:
#   1. at once: the shared compile stage alone (srcs/requirements/compile-stage.Dockerfile,
#      which every service Dockerfile holds the same: srcs/tools/dockerfiles.sh), and each
#      service's `packages` stage
#      (the first stages of its Dockerfile: apt, and wordpress's WordPress), sent only the
#      service's own directory as context;
#   2. `compose build`: every image, the stages of round 1 taken from the layer cache.
# Each build writes its output to LOG_DIR/build-*.log; a failure prints the end of its log
# and stops the builds still running.
#
# usage: srcs/tools/build-images.sh LOG_DIR SERVICE... -- COMPOSE_COMMAND...
#        env: INCEPTION_SOURCE (the source hash, srcs/tools/source-hash.sh), which compose
#        passes to the images' last line; WORDPRESS_SUITE (srcs/.env), which compose passes
#        to the wordpress image (round 1 takes it from the environment too)
set -euo pipefail

log_dir="$1"
shift
services=()
while [ "$1" != -- ]; do
	services+=("$1")
	shift
done
shift
mkdir -p "$log_dir"
rm -f "$log_dir"/build-*.log

declare -A what=() logs=()
stop() {
	local name="$1" log="$2"
	kill "${!what[@]}" 2>/dev/null || true
	printf 'build: %s failed; the end of %s:\n' "$name" "$log" >&2
	tail -n 40 "$log" >&2
	exit 1
}

start=$SECONDS
docker build --target compile -f - . <srcs/requirements/compile-stage.Dockerfile \
	>"$log_dir/build-compile.log" 2>&1 &
what[$!]="the compile stage" logs[$!]="$log_dir/build-compile.log"
for s in "${services[@]}"; do
	# WORDPRESS_SUITE to the Dockerfile that declares it (the others would warn of it).
	args=()
	if grep -q '^ARG WORDPRESS_SUITE' "srcs/requirements/$s/Dockerfile"; then
		args=(--build-arg WORDPRESS_SUITE="${WORDPRESS_SUITE:-}")
	fi
	tar -c "srcs/requirements/$s" |
		docker build -q --target packages -f "srcs/requirements/$s/Dockerfile" "${args[@]}" - \
			>"$log_dir/build-packages-$s.log" 2>&1 &
	what[$!]="the packages stage of $s" logs[$!]="$log_dir/build-packages-$s.log"
done
while [ "${#what[@]}" -gt 0 ]; do
	status=0
	wait -n -p pid "${!what[@]}" || status=$?
	[ "$status" -eq 0 ] || stop "${what[$pid]}" "${logs[$pid]}"
	unset "what[$pid]"
done
echo "build: workspace compiled and packages installed ($((SECONDS - start)) s)"

start=$SECONDS
"$@" build --parallel >"$log_dir/build-images.log" 2>&1 || stop "compose build" "$log_dir/build-images.log"
echo "build: images built ($((SECONDS - start)) s)"
