#!/usr/bin/env bash
# A 3-node Docker Swarm with a GlusterFS replica-3 volume on this one machine, for the tests
# of the multi-node stack and for trying it by hand: three docker-in-docker containers
# (tests/swarm/node.Dockerfile) on a bridge network of their own, each one a swarm manager
# labelled inception.node=N and a Gluster server, with the volume `inception` mounted at
# /srv/inception in every node (a service binds it: --mount type=bind,src=/srv/inception,...).
#
# usage: tests/swarm/nodes.sh COMMAND
#   up              builds the node image, starts the nodes, makes the swarm and the volume
#   load IMAGE...   copies images of this host into every node (the three at once) and
#                   checks that each node has the host's image ID
#   exec N CMD...   runs CMD in node N (1 to 3), e.g. exec 1 docker node ls
#   start N         starts node N again after a stop or a kill (engine, Gluster, mount)
#   ip N            prints node N's address
#   down            removes the nodes, their volumes and the network
# env: PREFIX (inception-swarm): the network, and the nodes $PREFIX-1..3 with their volumes
#      $PREFIX-N-docker (the node's engine) and $PREFIX-N-bricks (its Gluster brick);
#      SUBNET (172.31.250): the network's /24, the nodes at .11, .12, .13;
#      INIT_BINARY: a static inception-init, PID 1 of the nodes (built when unset).
set -euo pipefail

NAME=swarm
root="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=srcs/tools/lib.sh
. "$root/srcs/tools/lib.sh"

prefix="${PREFIX:-inception-swarm}"
subnet="${SUBNET:-172.31.250}"
image=inception-swarm-node:test
nodes=(1 2 3)
gluster_volume=inception
mount_dir=/srv/inception
# Seconds `down` gives each node's engine before the node is killed: the engine stops its
# containers (10 s each at most, Docker's default) within its own shutdown timeout (15 s)
# and removes their cgroups, which live in the host's hierarchy (/sys/fs/cgroup is shared):
# a node killed sooner leaves them behind, empty, on the host.
stop_timeout=20

usage() {
	# The usage and env lines at the top of this file.
	sed -n '/^# usage:/,/^set /{/^set /d; s/^# \{0,1\}//p}' "$0" >&2
	exit 2
}

node() { printf '%s-%s' "$prefix" "$1"; }
node_ip() { printf '%s.%s' "$subnet" $((10 + $1)); }

# on N COMMAND...: COMMAND run in node N.
on() {
	local n="$1"
	shift
	docker exec "$(node "$n")" "$@"
}

# existing KIND NAME...: those of the containers, volumes or networks (KIND) named that
# exist, one a line (the CLI prints an empty line for those that do not).
existing() {
	local kind="$1"
	shift
	docker "$kind" inspect -f '{{.Name}}' "$@" 2>/dev/null | sed -n 's|^/||; /./p' || true
}

# The names of the nodes and of their volumes.
containers=() volumes=()
for n in "${nodes[@]}"; do
	containers+=("$(node "$n")")
	volumes+=("$(node "$n")-docker" "$(node "$n")-bricks")
done

# Everything `up` makes that exists now, on one line.
present() {
	# shellcheck disable=SC2046 # one word per name
	echo $(existing container "${containers[@]}") $(existing volume "${volumes[@]}") $(existing network "$prefix")
}

# wait_for SECONDS COMMAND...: runs COMMAND (quietly) every half second until it succeeds;
# fails after SECONDS.
wait_for() {
	local seconds="$1" start=$SECONDS
	shift
	until "$@" >/dev/null 2>&1; do
		[ $((SECONDS - start)) -lt "$seconds" ] || return 1
		sleep 0.5
	done
}

# die_logs N MESSAGE: dies with MESSAGE after the end of node N's log.
die_logs() {
	echo "----- the end of $(node "$1")'s log -----" >&2
	docker logs --tail 30 "$(node "$1")" 2>&1 | sed 's/^/  /' >&2
	die "$2"
}

# Sets init to the static inception-init the nodes run as PID 1: INIT_BINARY, or the one
# built the way the tests build theirs (tests/support/images.rs, init_binary), in a target
# directory of its own.
init=""
find_init() {
	if [ -n "${INIT_BINARY:-}" ]; then
		[ -f "$INIT_BINARY" ] || die "INIT_BINARY: no file $INIT_BINARY"
		init="$(realpath "$INIT_BINARY")"
		return
	fi
	local host dir="$root/target/swarm-init"
	host="$(rustc -vV | sed -n 's/^host: //p')"
	say "building inception-init (static) in target/swarm-init"
	(cd "$root" && RUSTFLAGS='-C target-feature=+crt-static' \
		cargo build --quiet --locked -p inception-init --target "$host" --target-dir "$dir") ||
		die "cannot build inception-init (or give one in INIT_BINARY)"
	init="$dir/$host/debug/inception-init"
}

build_image() {
	local log
	log="$(mktemp)"
	# No build context: the Dockerfile copies nothing.
	if ! docker build -q -t "$image" - <"$root/tests/swarm/node.Dockerfile" >"$log" 2>&1; then
		tail -n 40 "$log" >&2
		rm -f "$log"
		die "cannot build $image (tests/swarm/node.Dockerfile)"
	fi
	rm -f "$log"
}

running() { [ "$(docker container inspect -f '{{.State.Running}}' "$(node "$1")" 2>/dev/null)" = true ]; }

# Whether the swarm is whole: every node running, in an active swarm, the volume mounted.
whole() {
	local n
	for n in "${nodes[@]}"; do
		running "$n" || return 1
		[ "$(on "$n" docker info -f '{{.Swarm.LocalNodeState}}' 2>/dev/null)" = active ] || return 1
		on "$n" mountpoint -q "$mount_dir" || return 1
	done
}

start_node() {
	local n="$1" name
	name="$(node "$n")"
	# What a docker-in-docker node needs on these machines, `--privileged` being refused:
	# every capability the host can give, no seccomp or AppArmor filter, FUSE for Gluster's
	# client, the host's cgroups for the node's engine, and its own /var/lib/docker (overlay2
	# cannot stack on the node's overlay root). inception-init -g: PID 1 reaps what glusterd
	# leaves (it daemonizes) and passes signals to dockerd's whole group. The engine also
	# answers on the nodes' private network without authentication (--tls=false spares
	# dockerd's 15 s warning pause): srcs/tools/swarm.sh and the tests drive the swarm from
	# this host with DOCKER_HOST=tcp://NODE:2375, as a user reaches a manager (who would
	# use SSH or TLS between machines).
	docker run -d --name "$name" --hostname "node-$n" \
		--network "$prefix" --ip "$(node_ip "$n")" \
		--cap-add ALL --cap-drop SYS_RESOURCE \
		--security-opt seccomp=unconfined --security-opt apparmor=unconfined \
		--device /dev/fuse --tmpfs /run --tmpfs /tmp \
		-v /sys/fs/cgroup:/sys/fs/cgroup:rw \
		-v "$name-docker:/var/lib/docker" -v "$name-bricks:/bricks" \
		-v "$init:/usr/local/bin/inception-init:ro" --entrypoint inception-init \
		"$image" -g -- dockerd --host unix:///var/run/docker.sock \
		--host "tcp://$(node_ip "$n"):2375" --tls=false >/dev/null
}

# wait_engine N: waits until the engine of node N answers, 60 s at most.
wait_engine() {
	local n="$1" start=$SECONDS
	until on "$n" docker info >/dev/null 2>&1; do
		running "$n" || die_logs "$n" "$(node "$n") stopped"
		[ $((SECONDS - start)) -lt 60 ] || die_logs "$n" "the engine of $(node "$n") does not answer after 60 s"
		sleep 0.5
	done
}

# The number of nodes in node 1's swarm that are Ready managers.
ready_managers() {
	on 1 docker node ls --format '{{.Status}} {{.ManagerStatus}}' | grep -cE '^Ready (Leader|Reachable)$'
}
three_ready_managers() { [ "$(ready_managers)" = 3 ]; }

# The number of Gluster servers node N (1) sees connected, itself included.
connected_peers() { on "${1:-1}" gluster pool list | grep -c 'Connected'; }
# Every node sees the three: a volume's creation is staged on each, and fails on one
# that does not see them all yet ("Staging failed ... not connected").
three_connected_peers() {
	local n
	for n in "${nodes[@]}"; do
		[ "$(connected_peers "$n")" = 3 ] || return 1
	done
}

# Whether every brick of the volume is online (the Online column, Y or N).
bricks_online() {
	local status
	status="$(on 1 gluster volume status "$gluster_volume")"
	[ "$(grep -cE '^Brick .* Y +[0-9]+ *$' <<<"$status")" = 3 ]
}

up() {
	local made n token bricks=()
	made="$(present)"
	if [ -n "$made" ]; then
		if whole; then
			say "the swarm is up already ($(node 1) to $(node 3)); see it with: $0 exec 1 docker node ls"
			exit 0
		fi
		die "a swarm is half made ($made): remove it first with: $0 down"
	fi
	find_init
	build_image
	trap 'printf "%s: what up made is left for a look; %s down removes it\n" "$NAME" "$0" >&2' EXIT
	docker network create --subnet "$subnet.0/24" "$prefix" >/dev/null
	for n in "${nodes[@]}"; do
		start_node "$n"
	done
	for n in "${nodes[@]}"; do
		wait_engine "$n"
	done
	say "3 nodes' engines up"

	# glusterd daemonizes: the command returns once it has forked.
	for n in "${nodes[@]}"; do
		on "$n" glusterd || die "glusterd does not start in $(node "$n") (its log: /var/log/glusterfs/glusterd.log)"
		wait_for 30 on "$n" gluster pool list || die_logs "$n" "glusterd of $(node "$n") does not answer after 30 s"
	done

	on 1 docker swarm init --advertise-addr "$(node_ip 1)" >/dev/null
	token="$(on 1 docker swarm join-token -q manager)"
	# One at a time: each manager joins the Raft group the previous ones form.
	for n in "${nodes[@]:1}"; do
		on "$n" docker swarm join --token "$token" --advertise-addr "$(node_ip "$n")" "$(node_ip 1):2377" >/dev/null
	done
	for n in "${nodes[@]}"; do
		on 1 docker node update --label-add "inception.node=$n" "node-$n" >/dev/null
	done
	wait_for 60 three_ready_managers ||
		die "the swarm has $(ready_managers || true) Ready managers of 3 after 60 s: $(on 1 docker node ls 2>&1 || true)"
	say "a swarm of 3 managers, labelled inception.node=1..3"

	for n in "${nodes[@]:1}"; do
		on 1 gluster peer probe "$(node_ip "$n")" >/dev/null
	done
	wait_for 60 three_connected_peers ||
		die "Gluster: not every node sees the 3 servers connected after 60 s: $(for n in "${nodes[@]}"; do
			printf '[node %s] ' "$n"
			on "$n" gluster pool list 2>&1 | tr '\n' ' '
		done)"
	for n in "${nodes[@]}"; do
		bricks+=("$(node_ip "$n"):/bricks/$gluster_volume")
	done
	# force: skips Gluster's checks of where a brick lives (not on the root filesystem, not a
	# mount point's top directory), which are meant for a server's disks: these bricks are
	# directories of a Docker volume and go away with it.
	on 1 gluster --mode=script volume create "$gluster_volume" replica 3 "${bricks[@]}" force >/dev/null
	on 1 gluster --mode=script volume start "$gluster_volume" >/dev/null
	wait_for 60 bricks_online ||
		die "Gluster: the bricks of $gluster_volume are not all online after 60 s: $(on 1 gluster volume status "$gluster_volume" 2>&1 || true)"
	for n in "${nodes[@]}"; do
		mount_volume "$n"
	done
	# The stack's shared files (srcs/swarm/overrides.yml binds SWARM_SHARED/wordpress and
	# SWARM_SHARED/backups).
	on 1 mkdir -p "$mount_dir/wordpress" "$mount_dir/backups"
	say "Gluster: volume $gluster_volume (replica 3) mounted at $mount_dir on every node"
	trap - EXIT
	say "up: nodes $(node 1) to $(node 3) at $(node_ip 1) to $(node_ip 3) (the tests: $0 exec N CMD...)"
}

# mount_volume N: the volume mounted in node N.
mount_volume() {
	local n="$1"
	on "$n" sh -c "mkdir -p $mount_dir && mount -t glusterfs 127.0.0.1:/$gluster_volume $mount_dir" ||
		die "cannot mount the Gluster volume in $(node "$n") (its log: /var/log/glusterfs/)"
	on "$n" mountpoint -q "$mount_dir" || die "$mount_dir in $(node "$n") is not a mount point after mount"
}

# start N: starts node N again after a stop or a kill: its engine (which rejoins the swarm),
# glusterd (which heals its brick from the others) and the mount.
start() {
	local n="$1"
	running "$n" && die "$(node "$n") is running"
	docker start "$(node "$n")" >/dev/null
	wait_engine "$n"
	on "$n" glusterd || die "glusterd does not start in $(node "$n")"
	wait_for 60 on "$n" gluster volume status "$gluster_volume" ||
		die_logs "$n" "glusterd of $(node "$n") does not serve $gluster_volume after 60 s"
	wait_for 60 bricks_online || die "Gluster: the bricks of $gluster_volume are not all online after 60 s"
	mount_volume "$n"
	wait_for 60 three_ready_managers || die "the swarm has not 3 Ready managers 60 s after the start"
	say "$(node "$n") started: engine, swarm, Gluster mount"
}

# Where load keeps the output of each node's `docker load`.
load_logs=""
load() {
	[ $# -gt 0 ] || usage
	local n img host_id node_id failed="" pids=()
	for img in "$@"; do
		docker image inspect "$img" >/dev/null 2>&1 || die "no image $img on this host"
	done
	for n in "${nodes[@]}"; do
		running "$n" ||
			die "node $(node "$n") is not running (start the nodes with: $0 up)"
	done
	load_logs="$(mktemp -d)"
	trap 'rm -rf "$load_logs"' EXIT
	# The three at once, each from a `docker save` of its own.
	for n in "${nodes[@]}"; do
		docker save "$@" | docker exec -i "$(node "$n")" docker load >"$load_logs/$n" 2>&1 &
		pids[n]=$!
	done
	for n in "${nodes[@]}"; do
		if ! wait "${pids[n]}"; then
			echo "----- docker load in $(node "$n") -----" >&2
			sed 's/^/  /' "$load_logs/$n" >&2
			failed+=" $(node "$n")"
		fi
	done
	[ -z "$failed" ] || die "loading $* failed in:$failed"
	for img in "$@"; do
		host_id="$(docker image inspect -f '{{.Id}}' "$img")"
		for n in "${nodes[@]}"; do
			node_id="$(on "$n" docker image inspect -f '{{.Id}}' "$img" 2>/dev/null || true)"
			[ "$node_id" = "$host_id" ] ||
				die "image $img: $(node "$n") has ${node_id:-no such image}, this host has $host_id"
		done
	done
	say "loaded into $(node 1) to $(node 3), same image IDs as this host: $*"
}

# node_number N: the usage, unless N names a node (1 to 3).
node_number() {
	case "$1" in
		[1-3]) ;;
		*) usage ;;
	esac
}

down() {
	local gone=()
	mapfile -t gone < <(existing container "${containers[@]}")
	if [ "${#gone[@]}" -gt 0 ]; then
		docker stop -t "$stop_timeout" "${gone[@]}" >/dev/null
		docker rm -v "${gone[@]}" >/dev/null
	fi
	mapfile -t gone < <(existing volume "${volumes[@]}")
	[ "${#gone[@]}" -eq 0 ] || docker volume rm "${gone[@]}" >/dev/null
	mapfile -t gone < <(existing network "$prefix")
	[ "${#gone[@]}" -eq 0 ] || docker network rm "$prefix" >/dev/null
}

main() {
	[ $# -gt 0 ] || usage
	local command="$1"
	shift
	case "$command" in
		up | down)
			[ $# -eq 0 ] || usage
			"$command"
			;;
		load) load "$@" ;;
		start)
			[ $# -eq 1 ] || usage
			node_number "$1"
			start "$1"
			;;
		exec)
			[ $# -ge 2 ] || usage
			node_number "$1"
			local n="$1" tty=()
			shift
			# A terminal for humans (nodes.sh exec 1 bash); none for the tests.
			[ -t 0 ] && [ -t 1 ] && tty=(-t)
			exec docker exec -i "${tty[@]}" "$(node "$n")" "$@"
			;;
		ip)
			[ $# -eq 1 ] || usage
			node_number "$1"
			node_ip "$1"
			echo
			;;
		*) usage ;;
	esac
}

main "$@"
