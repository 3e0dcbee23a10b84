#!/usr/bin/env bash
# The compile stage every service Dockerfile holds, written from one file:
# srcs/requirements/compile-stage.Dockerfile replaces, in each srcs/requirements/*/Dockerfile,
# the lines from its `# ---- Compile stage` header to `LABEL org.inception.stage=compile`.
# The stage must be the same everywhere: the layer cache then compiles the workspace once
# per build (and build-images.sh builds it alone, from that file).
#
# usage: srcs/tools/dockerfiles.sh           (make dockerfiles) rewrite what differs
#        srcs/tools/dockerfiles.sh --check   (make lint) list what differs, exit 1 if any
set -euo pipefail
cd "$(dirname "$0")/../.."

template=srcs/requirements/compile-stage.Dockerfile
check=0
[ "${1:-}" = --check ] && check=1
stale=()
for dockerfile in srcs/requirements/*/Dockerfile; do
	if ! grep -q '^# ---- Compile stage' "$dockerfile" ||
		! grep -qx 'LABEL org.inception.stage=compile' "$dockerfile"; then
		echo "dockerfiles: $dockerfile has no compile stage to replace" >&2
		exit 1
	fi
	# Before the header, the template, after the LABEL line.
	new=$(
		sed '/^# ---- Compile stage/,$d' "$dockerfile"
		cat "$template"
		sed '1,/^LABEL org.inception.stage=compile$/d' "$dockerfile"
	)
	[ "$new" = "$(cat "$dockerfile")" ] && continue
	stale+=("$dockerfile")
	[ "$check" = 1 ] || printf '%s\n' "$new" >"$dockerfile"
done
if [ "${#stale[@]}" -eq 0 ]; then
	echo "dockerfiles: every compile stage matches $template"
elif [ "$check" = 1 ]; then
	echo "dockerfiles: the compile stage of ${stale[*]} differs from $template: run make dockerfiles" >&2
	exit 1
else
	echo "dockerfiles: wrote the compile stage of ${stale[*]}"
fi
