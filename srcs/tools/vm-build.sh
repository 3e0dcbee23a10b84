#!/usr/bin/env bash
# The Debian 12 virtual machine the stack runs in, made from Debian's archive (vm.sh runs it):
#
#   A bootable disk: debootstrap's bookworm with a kernel, systemd (networkd: DHCP),
#   OpenSSH, Docker and compose, the project checkout with its settings and secrets,
#   and the service images of this machine (`docker save`, loaded into the disk's own
#   Docker store at build time). No loop device: the ext4 root is written from the
#   directory tree (mkfs.ext4 -d), the EFI system partition with mtools, both copied
#   into a GPT disk file. UEFI firmware boots it through GRUB (\EFI\BOOT\BOOTX64.EFI,
#   the removable-media path: no firmware entry needed). At first boot a systemd unit
#   runs `make`, which finds the images current and only starts the stack; later boots
#   start it through the containers' restart policy. Outputs: VM_DIR/inception.qcow2
#   (qemu, virt-manager) and VM_DIR/inception.vdi (VirtualBox, EFI enabled).
#
# usage: srcs/tools/vm-build.sh   (make vm; through sudo; settings: srcs/tools/vm-env.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
args=("$@")
# shellcheck source=srcs/tools/vm-env.sh
. srcs/tools/vm-env.sh

# Identifiers of this disk's filesystems, fixed at build (fstab and GRUB name them).
ROOT_UUID="${ROOT_UUID:-$(cat /proc/sys/kernel/random/uuid)}"
ESP_SERIAL="${ESP_SERIAL:-$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr a-f A-F)}"
ESP_UUID_FSTAB="${ESP_SERIAL:0:4}-${ESP_SERIAL:4:4}"
# The size of the preloaded images in the disk's Docker store (preload_images measures it).
IMAGES_BYTES=0

# Mounts made in the tree while packages install; always undone, and checked before any rm.
chroot_mounts=()
umount_all() {
	local m
	for ((i = ${#chroot_mounts[@]} - 1; i >= 0; i--)); do
		m="${chroot_mounts[i]}"
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	chroot_mounts=()
}
mount_in() {
	mount -t "$1" "$1" "$2"
	chroot_mounts+=("$2")
}
# Removes a build tree, never crossing into a mounted filesystem.
remove_tree() {
	[ -e "$1" ] || return 0
	if findmnt -rn -o TARGET | grep -q "^$(realpath "$1")/"; then
		die "$1 still has filesystems mounted in it (findmnt); unmount them first"
	fi
	rm -rf --one-file-system "$1"
}

build() {
	need_root "vm build"
	local missing=() c
	for c in debootstrap qemu-img mkfs.ext4 mkfs.vfat mcopy mmd sfdisk grub-mkstandalone docker; do
		command -v "$c" >/dev/null || missing+=("$c")
	done
	[ -d /usr/lib/grub/x86_64-efi ] || missing+=("grub-efi-amd64-bin")
	[ ${#missing[@]} -eq 0 ] || die "missing ${missing[*]}: run 'srcs/tools/provision.sh --vm'"

	# The images the VM preloads: built from this checkout (make vm builds them first).
	local images=() s
	for s in "${SERVICES[@]}"; do images+=("$s:$TAG"); done
	local source
	source=$(srcs/tools/source-hash.sh --check "${images[@]}") ||
		die "the service images are missing or older than the sources: run 'make build BONUS=1'"

	mkdir -p "$VM_DIR/cache/debootstrap" "$VM_DIR/cache/apt"
	local work="$VM_DIR/work"
	local root="$work/root"
	trap umount_all EXIT
	remove_tree "$work"
	mkdir -p "$root"
	local started=$SECONDS

	# 1. The system: minbase from bookworm, then the rest with apt from all three suites (so
	# the kernel and Docker come with their security updates).
	say "debootstrap bookworm (log: $work/debootstrap.log)"
	bookworm_tree "$root" "$work/debootstrap.log" --cache-dir="$(realpath "$VM_DIR/cache/debootstrap")"
	# No service starts inside the tree while packages install.
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod 755 "$root/usr/sbin/policy-rc.d"
	# The initramfs carries the drivers of any virtual hardware (virtio, SATA, e1000...).
	mkdir -p "$root/etc/initramfs-tools/conf.d"
	echo "MODULES=most" >"$root/etc/initramfs-tools/conf.d/inception"
	mount_in proc "$root/proc"
	mount_in sysfs "$root/sys"
	# Packages downloaded by an earlier build are reused (hard links, same filesystem).
	find "$VM_DIR/cache/apt" -name '*.deb' -exec cp -l {} "$root/var/cache/apt/archives/" \; 2>/dev/null || true
	say "installing ${#PACKAGES[@]} packages (log: $work/apt.log)"
	chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 sh -c \
		"apt-get update && apt-get -y --no-install-recommends dist-upgrade &&
		 apt-get install -y --no-install-recommends ${PACKAGES[*]}" >"$work/apt.log" 2>&1 ||
		{ tail -n 30 "$work/apt.log" >&2; die "package installation failed (log: $work/apt.log)"; }
	find "$root/var/cache/apt/archives" -maxdepth 1 -name '*.deb' -exec cp -ln {} "$VM_DIR/cache/apt/" \; -delete
	rm -f "$root/usr/sbin/policy-rc.d"

	# 2. Configuration.
	configure_system "$root"
	add_user "$root"
	umount_all
	trap - EXIT

	# 3. The project: the checkout's files (git's view when there is one: tracked and
	# untracked, not ignored), the settings and the stack's secrets.
	local home checkout
	home=$(guest_home)
	checkout="$root$home/inception"
	copy_checkout "$checkout"
	local copied
	copied=$(BASE_IMAGE="debian:bookworm" "$checkout/srcs/tools/source-hash.sh")
	[ "$copied" = "$source" ] ||
		die "the copied checkout hashes to $copied, the images to $source: a file the build reads is not in the copy"
	if [ "$LOGIN" != root ]; then
		chroot "$root" chown -R "$LOGIN:$LOGIN" "$home/inception"
	fi

	# 4. The images, in the disk's own Docker store.
	preload_images "$root" "${images[@]}" debian:bookworm

	# 5. The disk.
	make_disk "$root"
	remove_tree "$work"
	say "built in $((SECONDS - started)) s"
	# For `make bench`.
	printf '{"built_s": %d, "images_bytes": %d, "source": "%s", "when": "%s"}\n' \
		$((SECONDS - started)) "$IMAGES_BYTES" "$source" "$(date -u '+%F %R UTC')" >"$VM_DIR/build.json"
	# Made through sudo, the disks and the run directory still belong to the user: `make
	# vm-run` and `make vm-ssh` run as them.
	[ -z "${SUDO_UID:-}" ] || chown -R "$SUDO_UID:${SUDO_GID:-$SUDO_UID}" "$VM_DIR"
	report
}

configure_system() {
	local root="$1"
	echo inception >"$root/etc/hostname"
	cat >"$root/etc/hosts" <<-HOSTS
		127.0.0.1	localhost
		127.0.1.1	inception
		127.0.0.1	$DOMAIN_NAME
		::1		localhost ip6-localhost ip6-loopback
	HOSTS
	cat >"$root/etc/fstab" <<-FSTAB
		UUID=$ROOT_UUID	/		ext4	errors=remount-ro	0 1
		UUID=$ESP_UUID_FSTAB	/boot/efi	vfat	umask=0077,nofail	0 2
	FSTAB
	mkdir -p "$root/boot/efi" "$root/var/lib/inception"

	# Network: DHCP on any wired interface (virtio-net under qemu, e1000 under VirtualBox);
	# DNS from DHCP through resolved.
	cat >"$root/etc/systemd/network/20-wired.network" <<-'NET'
		[Match]
		Name=en* eth*

		[Network]
		DHCP=yes
	NET
	ln -sf /run/systemd/resolve/stub-resolv.conf "$root/etc/resolv.conf"

	# Each VM gets its own identity at first boot: machine id and SSH host keys.
	: >"$root/etc/machine-id"
	rm -f "$root/var/lib/dbus/machine-id"
	rm -f "$root"/etc/ssh/ssh_host_*
	install -m 644 /dev/stdin "$root/etc/systemd/system/inception-ssh-keys.service" <<-'UNIT'
		[Unit]
		Description=Inception: this machine's SSH host keys
		Before=ssh.service
		ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

		[Service]
		Type=oneshot
		ExecStart=/usr/bin/ssh-keygen -A

		[Install]
		WantedBy=multi-user.target
	UNIT

	# First boot: `make` (it finds the images current and builds nothing), retried after a
	# failure (5 attempts an hour at most) and at each boot until it succeeds; later boots
	# start the stack through the restart policies.
	local home
	home=$(guest_home)
	install -m 644 /dev/stdin "$root/etc/systemd/system/inception-first-boot.service" <<-UNIT
		[Unit]
		Description=Inception: first start of the stack (make)
		Requires=docker.service
		After=docker.service network-online.target
		Wants=network-online.target
		ConditionPathExists=!/var/lib/inception/first-boot.done
		StartLimitIntervalSec=1h
		StartLimitBurst=5

		[Service]
		Type=oneshot
		WorkingDirectory=$home/inception
		Environment=HOME=/root
		# Progress on the console too (qemu's serial log, VirtualBox's screen).
		StandardOutput=journal+console
		StandardError=journal+console
		ExecStart=/usr/bin/make WAIT_TIMEOUT=1500
		ExecStartPost=/usr/bin/touch /var/lib/inception/first-boot.done
		TimeoutStartSec=30min
		# make is idempotent: a failure (an engine slow to answer) is tried again.
		Restart=on-failure
		RestartSec=10s

		[Install]
		WantedBy=multi-user.target
	UNIT
	local unit
	for unit in systemd-networkd systemd-resolved ssh docker inception-ssh-keys inception-first-boot; do
		chroot "$root" systemctl enable "$unit" >/dev/null 2>&1 || die "systemctl enable $unit failed"
	done
	chroot "$root" systemctl enable systemd-networkd-wait-online >/dev/null 2>&1 || true

	# Boot: GRUB (on the EFI partition) reads this file from the root filesystem.
	mkdir -p "$root/boot/grub"
	cat >"$root/boot/grub/grub.cfg" <<-GRUB
		set timeout=1
		set default=0
		menuentry "Debian GNU/Linux 12 (Inception)" {
		    insmod ext2
		    search --no-floppy --fs-uuid --set=root $ROOT_UUID
		    linux /vmlinuz root=UUID=$ROOT_UUID ro console=tty0 console=ttyS0,115200n8
		    initrd /initrd.img
		}
	GRUB
	if [ ! -e "$root/vmlinuz" ] || [ ! -e "$root/initrd.img" ]; then
		die "the kernel left no /vmlinuz or /initrd.img symlink in the tree"
	fi

	# Smaller disk: package lists and caches come back with apt update.
	rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/log/*.log \
		"$root"/var/cache/debconf/*-old "$root"/tmp/*
}

add_user() {
	local root="$1" password
	srcs/tools/configure.sh "$ENV_FILE" "$SECRETS_DIR" vm_password
	[ -s "$ssh_key" ] || ssh-keygen -q -t ed25519 -N '' -C "inception-vm" -f "$ssh_key"
	# Run through sudo: the files belong to the user (`make vm-ssh` runs without sudo).
	if [ -n "${SUDO_UID:-}" ]; then
		chown "$SUDO_UID:${SUDO_GID:-$SUDO_UID}" "$SECRETS_DIR/vm_password.txt" "$ssh_key" "$ssh_key.pub"
	fi
	password=$(cat "$SECRETS_DIR/vm_password.txt")
	local home
	home=$(guest_home)
	[ "$LOGIN" = root ] || chroot "$root" useradd -m -s /bin/bash -G sudo,docker "$LOGIN"
	printf '%s:%s\n' "$LOGIN" "$password" | chroot "$root" chpasswd
	install -d -m 700 "$root$home/.ssh"
	install -m 600 "$ssh_key.pub" "$root$home/.ssh/authorized_keys"
	[ "$LOGIN" = root ] || chroot "$root" chown -R "$LOGIN:$LOGIN" "$home/.ssh"
}

copy_checkout() {
	local dest="$1"
	mkdir -p "$dest"
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files -z -co --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$dest"
		# The vendored crates (git-ignored), as the archive the compile stage unpacks: the VM
		# rebuilds its images offline from it, after the evaluation's wipe, with nothing but
		# Debian's archive (the VM has no cargo: vendor.sh uses the archive as it is).
		if [ -f vendor/crates.tar.gz ]; then
			install -D -m 644 vendor/crates.tar.gz "$dest/vendor/crates.tar.gz"
		else
			say "warning: no vendored crates (make vendor needs cargo): a rebuild in the VM fetches them online"
		fi
	else
		tar --exclude=./vm --exclude=./target --exclude='./crates/*/target' \
			--exclude="./$SECRETS_DIR" --exclude="./$ENV_FILE" -cf - . | tar -xf - -C "$dest"
	fi
	# The settings and the stack's secrets (not the VM's own: its password and SSH key).
	mkdir -p "$dest/$(dirname "$ENV_FILE")"
	# The same settings (login, domain, users, DATA_DIR, HTTPS_PORT: the site's links name
	# the port it is reached at, and `run` forwards that port to the same one in the VM).
	cp "$ENV_FILE" "$dest/$ENV_FILE"
	install -d -m 700 "$dest/secrets"
	local f
	for f in "$SECRETS_DIR"/*.txt; do
		case "$(basename "$f")" in vm_*) continue ;; esac
		install -m 600 "$f" "$dest/secrets/"
	done
}

# `docker save` from this engine, loaded by a second, temporary engine of the same Debian
# package whose data root is the tree's /var/lib/docker: the VM's engine finds the images in
# place at first boot (loading them there, under software emulation, takes minutes). The
# temporary engine touches nothing of the host's: its own sockets, state and network
# namespace, no bridge, no iptables rules.
preload_images() {
	local root="$1"
	shift
	local tmp data pid
	tmp=$(mktemp -d /tmp/inception-vm-dockerd.XXXXXX)
	data="$(realpath "$root")/var/lib/docker"
	mkdir -p "$data"
	# Its own network namespace too: a daemon without a bridge deletes the host's docker0.
	unshare --net -- dockerd --data-root "$data" --exec-root "$tmp/exec" --pidfile "$tmp/dockerd.pid" \
		-H "unix://$tmp/docker.sock" --bridge=none --iptables=false --ip-masq=false \
		--storage-driver=overlay2 >"$VM_DIR/work/dockerd.log" 2>&1 &
	pid=$!
	local i
	for i in $(seq 1 60); do
		docker -H "unix://$tmp/docker.sock" info >/dev/null 2>&1 && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 1
	done
	docker -H "unix://$tmp/docker.sock" info >/dev/null 2>&1 ||
		{ kill "$pid" 2>/dev/null; tail -n 20 "$VM_DIR/work/dockerd.log" >&2; die "the temporary Docker engine did not start"; }
	say "loading ${#@} images into the disk's Docker store"
	local ok=1
	docker save "$@" | docker -H "unix://$tmp/docker.sock" load -q >/dev/null || ok=0
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	rm -rf "$tmp"
	[ "$ok" = 1 ] || die "docker load into the disk's store failed (log: $VM_DIR/work/dockerd.log)"
	# Made by this engine for itself: its containerd's state and its network settings (the
	# VM's engine creates its own).
	rm -rf "$data/containerd" "$data/network" "$data/tmp"
	IMAGES_BYTES=$(du -sb "$data" | cut -f1)
	say "images: $(numfmt --to=iec "$IMAGES_BYTES") in /var/lib/docker"
}

# GPT disk: 1 MiB, the EFI system partition (FAT32), the root filesystem (ext4), 1 MiB for
# the backup table. Each filesystem is made in its own file, then copied in place.
make_disk() {
	local root="$1" out="$VM_DIR" esp_mib=128 root_bytes disk_raw
	root_bytes=$(numfmt --from=iec "$VM_DISK_SIZE")
	local root_mib=$((root_bytes / 1048576 - esp_mib - 2))
	local esp="$VM_DIR/work/esp.img" rootimg="$VM_DIR/work/root.img"
	disk_raw="$VM_DIR/work/disk.raw"

	say "EFI system partition: GRUB"
	local cfg="$VM_DIR/work/grub-embedded.cfg"
	cat >"$cfg" <<-CFG
		search --no-floppy --fs-uuid --set=root $ROOT_UUID
		set prefix=(\$root)/boot/grub
		configfile /boot/grub/grub.cfg
	CFG
	grub-mkstandalone -O x86_64-efi -o "$VM_DIR/work/BOOTX64.EFI" \
		--modules="part_gpt ext2 search search_fs_uuid configfile normal linux all_video" \
		--locales= --themes= --fonts= "boot/grub/grub.cfg=$cfg"
	export MTOOLS_SKIP_CHECK=1
	truncate -s "${esp_mib}M" "$esp"
	mkfs.vfat -F 32 -n EFI -i "$ESP_SERIAL" "$esp" >/dev/null
	mmd -i "$esp" ::/EFI ::/EFI/BOOT
	mcopy -i "$esp" "$VM_DIR/work/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI

	say "root filesystem: ext4 from the tree (${root_mib} MiB)"
	truncate -s "${root_mib}M" "$rootimg"
	mkfs.ext4 -q -F -L inception -U "$ROOT_UUID" -d "$root" "$rootimg"

	say "disk: GPT, copying the partitions"
	truncate -s "$(((esp_mib + root_mib + 2) * 1048576))" "$disk_raw"
	sfdisk -q "$disk_raw" <<-TABLE
		label: gpt
		unit: sectors
		start=2048, size=$((esp_mib * 2048)), type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="EFI"
		start=$(((esp_mib + 1) * 2048)), size=$((root_mib * 2048)), type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="root"
	TABLE
	dd if="$esp" of="$disk_raw" bs=1M seek=1 conv=notrunc,sparse status=none
	dd if="$rootimg" of="$disk_raw" bs=1M seek=$((esp_mib + 1)) conv=notrunc,sparse status=none
	rm -f "$esp" "$rootimg"

	say "qcow2 (compressed) and VDI"
	rm -f "$out/inception.qcow2.new" "$out/inception.vdi.new"
	qemu-img convert -c -O qcow2 "$disk_raw" "$out/inception.qcow2.new"
	qemu-img convert -O vdi "$disk_raw" "$out/inception.vdi.new"
	qemu-img check -q "$out/inception.qcow2.new"
	qemu-img check -q "$out/inception.vdi.new"
	mv -f "$out/inception.qcow2.new" "$out/inception.qcow2"
	mv -f "$out/inception.vdi.new" "$out/inception.vdi"
	rm -f "$disk_raw"
}

report() {
	local f
	for f in "$VM_DIR/inception.qcow2" "$VM_DIR/inception.vdi"; do
		say "$f: $(du -h --apparent-size "$f" | cut -f1) (virtual disk $VM_DISK_SIZE)"
	done
	say "user $LOGIN, password in $SECRETS_DIR/vm_password.txt; 'make vm-run' boots it"
}

build
