# A node of the test swarm (tests/swarm/nodes.sh): a Debian 12 machine with its own Docker
# engine and GlusterFS server, run as a docker-in-docker container. Three of them on one bridge
# network make a 3-manager Docker Swarm with a replica-3 Gluster volume mounted on each at
# /srv/inception. nodes.sh runs dockerd under inception-init (mounted, and named with
# --entrypoint) and starts glusterd with `docker exec`; it mounts named volumes on
# /var/lib/docker and /bricks, so that `nodes.sh down` removes them by name (hence no VOLUME
# line, which would make an anonymous volume whenever that mount is missing).
# Build context: none (nodes.sh sends this file alone on stdin).
FROM debian:bookworm

# docker.io: the node's engine (Debian's, as on the VM), with containerd, runc and the CLI;
# glusterfs-server: glusterd, the bricks' daemons and the `gluster` CLI;
# glusterfs-client: mount.glusterfs and the FUSE client that mounts the volume;
# iptables: the engine's NAT and the overlay networks' rules (a dependency of docker.io,
# named so that it stays if that changes);
# iproute2, procps: ip, ss, ps, pgrep, for looking into a node (nodes.sh exec N ...);
# ca-certificates: the engine's TLS to anything it is pointed at.
# Nothing else is needed: of the recommends, cgroupfs-mount is replaced by the host's
# /sys/fs/cgroup (mounted by nodes.sh), and images arrive by `docker load`, not git or xz.
RUN set -eux; \
	apt-get update; \
	apt-get install -y --no-install-recommends \
		docker.io glusterfs-server glusterfs-client \
		iptables iproute2 procps ca-certificates; \
	rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb
