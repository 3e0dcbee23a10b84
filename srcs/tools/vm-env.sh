# shellcheck shell=bash disable=SC2034,SC2154
# (SC2034: the settings are used by the scripts that source this file; SC2154: they set args.)
# The VM's settings, shared by vm-build.sh (making the disk) and vm.sh (running it); sourced
# from the repository's root. The Makefile passes them in the environment (VM_ENV), with
# their values and defaults (srcs/.env, srcs/.env.example, the Makefile's VM_* variables):
# LOGIN DOMAIN_NAME HTTPS_PORT (the port the site listens on inside the VM: the settings
# copied into it are make's) ENV_FILE SECRETS_DIR TAG VM_DIR VM_HTTPS_PORT VM_SSH_PORT
# VM_MEMORY VM_CPUS VM_ACCEL(auto|kvm|tcg) VM_DISK_SIZE; and optionally VM_RUN_DIR VM_IMAGE
# VM_WAIT DEBIAN_MIRROR SECURITY_MIRROR.

NAME=vm
# shellcheck source=srcs/tools/lib.sh
. srcs/tools/lib.sh

for setting in LOGIN DOMAIN_NAME HTTPS_PORT ENV_FILE SECRETS_DIR TAG VM_DIR VM_HTTPS_PORT \
	VM_SSH_PORT VM_MEMORY VM_CPUS VM_ACCEL VM_DISK_SIZE; do
	[ -n "${!setting:-}" ] || die "$setting is not set: run this through make (make vm, vm-run, vm-ssh, vm-stop)"
done
VM_RUN_DIR="${VM_RUN_DIR:-$VM_DIR/run}"
VM_IMAGE="${VM_IMAGE:-$VM_DIR/inception.qcow2}"
VM_WAIT="${VM_WAIT:-1800}"

# The services whose images the VM preloads.
mapfile -t SERVICES < <(srcs/tools/compose-facts.sh services)
# What the VM needs beyond debootstrap's minbase.
PACKAGES=(
	linux-image-amd64 initramfs-tools systemd systemd-sysv systemd-resolved udev kmod
	dbus iproute2 iputils-ping ca-certificates openssh-server sudo
	docker.io docker-compose apparmor debootstrap make less vim-tiny
)
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd

# What needs root runs through sudo, as provision.sh, with the settings the Makefile passed.
need_root() {
	[ "$(id -u)" -ne 0 ] || return 0
	command -v sudo >/dev/null || die "$1 needs root: run as root or install sudo"
	exec sudo --preserve-env=LOGIN,DOMAIN_NAME,HTTPS_PORT,ENV_FILE,SECRETS_DIR,TAG,VM_DIR,VM_RUN_DIR,VM_IMAGE,VM_HTTPS_PORT,VM_SSH_PORT,VM_MEMORY,VM_CPUS,VM_ACCEL,VM_DISK_SIZE,VM_WAIT,DEBIAN_MIRROR,SECURITY_MIRROR \
		-- "$0" "${args[@]}"
}

ssh_key="$SECRETS_DIR/vm_ssh_key"
ssh_opts=(-i "$ssh_key" -p "$VM_SSH_PORT" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
	-o LogLevel=ERROR -o ConnectTimeout=10 -o BatchMode=yes)

# The VM user's home directory, in the guest.
guest_home() {
	if [ "$LOGIN" = root ]; then echo /root; else echo "/home/$LOGIN"; fi
}
