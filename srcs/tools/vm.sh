#!/usr/bin/env bash
# The Debian 12 virtual machine the stack runs in (vm-build.sh makes its disk):
#
#   build  srcs/tools/vm-build.sh (make vm).
#   run    Boots it with qemu in the background: KVM when /dev/kvm can run a standard guest,
#          software emulation (TCG) otherwise. Forwards 127.0.0.1:VM_HTTPS_PORT (make's default:
#          HTTPS_PORT) to the VM's HTTPS_PORT (make's, the settings copied into the VM: the
#          site's links carry it) and 127.0.0.1:VM_SSH_PORT to its 22. Serial console:
#          VM_RUN_DIR/console.log.
#   wait   Waits (bounded: VM_WAIT seconds) until the site answers through the forwarded port.
#   ssh    Logs in as LOGIN with the key in SECRETS_DIR (arguments: a command to run).
#   stop   ACPI shutdown (the guest shuts down cleanly), bounded; then qemu is gone.
#
#
# usage: srcs/tools/vm.sh build|run|wait|ssh|stop [ARGS]   (settings: srcs/tools/vm-env.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck disable=SC2034 # need_root (vm-env.sh) re-runs the script with them
args=("$@")
# shellcheck source=srcs/tools/vm-env.sh
. srcs/tools/vm-env.sh

pidfile() { echo "$VM_RUN_DIR/qemu.pid"; }
running() { [ -s "$(pidfile)" ] && kill -0 "$(cat "$(pidfile)")" 2>/dev/null; }

# KVM needs /dev/kvm and a standard hypervisor module. Some hosts (this project's CI among
# them) have /dev/kvm from kvm_pvm only, which runs only PVM-enabled guest kernels: Debian's
# kernel hangs there, so such a host gets software emulation.
choose_accel() {
	case "$VM_ACCEL" in
		kvm | tcg) echo "$VM_ACCEL"; return ;;
		auto) ;;
		*) die "VM_ACCEL must be auto, kvm or tcg (got '$VM_ACCEL')" ;;
	esac
	if [ ! -w /dev/kvm ]; then
		say "no usable /dev/kvm: software emulation (TCG), slow (minutes to boot and start)" >&2
		echo tcg
	elif [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; then
		echo kvm
	else
		local module
		module=$(find /sys/module -maxdepth 1 -name 'kvm_*' -printf '%f\n' | head -1)
		say "/dev/kvm is ${module:-an unknown KVM}, not kvm_intel or kvm_amd: it cannot run Debian's kernel; software emulation (TCG), slow" >&2
		echo tcg
	fi
}

run() {
	[ -f "$VM_IMAGE" ] || die "no disk image at $VM_IMAGE: run 'make vm'"
	running && die "a VM already runs from $VM_RUN_DIR (pid $(cat "$(pidfile)")): 'make vm-stop'"
	command -v qemu-system-x86_64 >/dev/null || die "qemu is missing: run 'srcs/tools/provision.sh --vm'"
	[ -f "$OVMF_CODE" ] || die "UEFI firmware missing ($OVMF_CODE): run 'srcs/tools/provision.sh --vm'"
	mkdir -p "$VM_RUN_DIR"
	# The firmware's variables belong to this VM; kept across its boots.
	[ -f "$VM_RUN_DIR/efivars.fd" ] || cp "$OVMF_VARS" "$VM_RUN_DIR/efivars.fd"
	local accel
	accel=$(choose_accel)
	echo "$accel" >"$VM_RUN_DIR/accel"
	local accel_args=(-accel kvm -cpu host)
	# shellcheck disable=SC2054 # qemu's option values hold commas
	[ "$accel" = tcg ] && accel_args=(-accel tcg,thread=multi,tb-size=512 -cpu max)
	rm -f "$VM_RUN_DIR/qmp.sock"
	qemu-system-x86_64 \
		-name inception -machine q35 "${accel_args[@]}" -smp "$VM_CPUS" -m "$VM_MEMORY" \
		-drive if=pflash,format=raw,readonly=on,file="$OVMF_CODE" \
		-drive if=pflash,format=raw,file="$VM_RUN_DIR/efivars.fd" \
		-drive file="$VM_IMAGE",if=virtio,cache=unsafe,discard=unmap \
		-netdev user,id=net0,hostfwd=tcp:127.0.0.1:"$VM_HTTPS_PORT"-:"$HTTPS_PORT",hostfwd=tcp:127.0.0.1:"$VM_SSH_PORT"-:22 \
		-device virtio-net-pci,netdev=net0 \
		-device virtio-rng-pci \
		-display none -serial file:"$VM_RUN_DIR/console.log" \
		-qmp unix:"$VM_RUN_DIR/qmp.sock",server=on,wait=off \
		-pidfile "$(pidfile)" -daemonize
	say "booting $VM_IMAGE ($accel, $VM_CPUS CPUs, $VM_MEMORY MiB); console: $VM_RUN_DIR/console.log"
	say "site: https://$DOMAIN_NAME:$VM_HTTPS_PORT (hosts entry: 127.0.0.1 $DOMAIN_NAME); ssh: make vm-ssh"
}

# The site answers with WordPress's front page through the forwarded port.
site_up() {
	curl -sk --max-time 10 --resolve "$DOMAIN_NAME:$VM_HTTPS_PORT:127.0.0.1" \
		-o /dev/null -w '%{http_code}' "https://$DOMAIN_NAME:$VM_HTTPS_PORT/" 2>/dev/null | grep -q '^200$'
}

wait_up() {
	local start=$SECONDS last="" line
	while ! site_up; do
		running || die "the VM is not running (console: $VM_RUN_DIR/console.log)"
		[ $((SECONDS - start)) -lt "$VM_WAIT" ] ||
			die "the site did not answer within $VM_WAIT s (console: $VM_RUN_DIR/console.log)"
		# Progress: the console's newest line, when it changed.
		line=$(tr -d '\r' <"$VM_RUN_DIR/console.log" 2>/dev/null | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' |
			grep -av '^[[:space:]]*$' | tail -n 1 | cut -c1-150)
		if [ -n "$line" ] && [ "$line" != "$last" ]; then
			printf 'vm: %4d s  %s\n' $((SECONDS - start)) "$line"
			last="$line"
		fi
		sleep 5
	done
	say "site up after $((SECONDS - start)) s: https://$DOMAIN_NAME:$VM_HTTPS_PORT/"
}

vm_ssh() {
	[ -s "$ssh_key" ] || die "no SSH key at $ssh_key: run 'make vm'"
	exec ssh "${ssh_opts[@]}" "$LOGIN@127.0.0.1" "$@"
}

qmp() {
	printf '{"execute":"qmp_capabilities"}\n{"execute":"%s"}\n' "$1" |
		socat -t 2 - UNIX-CONNECT:"$VM_RUN_DIR/qmp.sock" >/dev/null
}

stop() {
	running || { say "no VM runs from $VM_RUN_DIR"; return 0; }
	local pid start=$SECONDS
	pid=$(cat "$(pidfile)")
	say "ACPI shutdown (pid $pid)"
	qmp system_powerdown || die "cannot reach qemu's QMP socket $VM_RUN_DIR/qmp.sock"
	while kill -0 "$pid" 2>/dev/null; do
		if [ $((SECONDS - start)) -ge 300 ]; then
			qmp quit || kill "$pid"
			die "the guest did not power off within 300 s; qemu stopped"
		fi
		sleep 1
	done
	rm -f "$(pidfile)"
	say "powered off after $((SECONDS - start)) s"
}

case "${1:-}" in
	build) exec srcs/tools/vm-build.sh ;;
	run) run ;;
	wait) wait_up ;;
	ssh) shift; vm_ssh "$@" ;;
	stop) stop ;;
	*) die "usage: $0 build|run|wait|ssh|stop" ;;
esac
