# Inception: `make` sets up everything on a fresh Debian 12 machine and starts the site;
# `make test` runs every test. `make help` lists the targets.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := all

# Settings from srcs/.env, made from srcs/.env.example when missing (the rule below; make
# then reads it). A key srcs/.env lacks (a file made by an older version) takes the
# example's value, unless the environment has it: srcs/.env.example is where every
# setting's default is written, and nowhere else. Command-line values win.
ENV_FILE    ?= srcs/.env
-include $(ENV_FILE)
# The settings: every key of srcs/.env.example (LOGIN, DOMAIN_NAME, HTTPS_PORT, TAG, ...).
SETTINGS    := $(shell sed -n 's/^\([A-Z][A-Z0-9_]*\)=.*/\1/p' srcs/.env.example)
$(foreach key,$(SETTINGS),$(eval $(key) ?= $(shell sed -n 's/^$(key)=//p' srcs/.env.example)))
# Compose project: tests and benchmarks use their own so they never touch this one.
PROJECT     ?= inception
# The image every Dockerfile starts FROM (`make base` makes it; `make fclean` removes it),
# and the label of the build stages' cache images (`make clean` removes them). Tests
# override both, so that their fclean leaves the engine's shared ones alone.
BASE_IMAGE  ?= debian:bookworm
STAGE_LABEL ?= org.inception.stage
# Where the build steps write their (long) output, shown when a step fails: in the checkout
# (git-ignored), one directory per compose project, so that users and checkouts of one
# machine never share it.
LOG_DIR     ?= build/$(PROJECT)
# How long `make` waits for every service to be healthy.
WAIT_TIMEOUT ?= 180
# 0: the mandatory part (mariadb, wordpress, nginx); 1: also the bonus services (`make bonus`),
# and the images only the Swarm stack runs.
BONUS       ?= 0
# The services, from docker-compose.yml: those `make` runs, those only `make bonus` runs
# (profile bonus), and those only the Swarm stack runs (profile swarm).
MANDATORY_SERVICES := $(shell srcs/tools/compose-facts.sh mandatory)
BONUS_SERVICES := $(shell srcs/tools/compose-facts.sh bonus)
SWARM_SERVICES := $(shell srcs/tools/compose-facts.sh swarm)
# WP_REPLICAS (srcs/.env): 1, the subject's three containers, or 2, a second php-fpm
# container (wordpress-replica, so that restarting or redeploying WordPress loses no request;
# on with `make bonus`). WORDPRESS_SUITE (srcs/.env): the Debian suite the wordpress image
# takes WordPress from.
SERVICES    := $(MANDATORY_SERVICES) $(if $(filter 1,$(BONUS)),$(BONUS_SERVICES) $(SWARM_SERVICES),)
BUILD_IMAGES = $(addsuffix :$(TAG),$(SERVICES))
# Cargo test arguments for the end-to-end suite (e.g. TEST=mariadb to run some).
# Every shell script, for shellcheck.
SHELL_SCRIPTS := $(wildcard srcs/tools/*.sh srcs/requirements/*/tools/*.sh tests/*/*.sh) srcs/tools/cargo-build .ci/run
TEST        ?=
TEST_THREADS ?= 2
# `make bench BENCH=swarm`: only the Swarm stack's rows.
BENCH       ?=
# The VM (`make vm`): where its disks go, the host ports forwarded to its HTTPS_PORT and 22,
# its size; VM_ACCEL=auto picks KVM when the host can run Debian's kernel with it, else TCG.
VM_DIR      ?= vm
VM_HTTPS_PORT ?= $(HTTPS_PORT)
VM_SSH_PORT ?= 2222
VM_MEMORY   ?= 4096
VM_CPUS     ?= 2
VM_ACCEL    ?= auto
VM_DISK_SIZE ?= 16G
VM_ENV       = env LOGIN="$(LOGIN)" DOMAIN_NAME="$(DOMAIN_NAME)" ENV_FILE="$(ENV_FILE)" \
	HTTPS_PORT="$(HTTPS_PORT)" SECRETS_DIR="$(SECRETS_DIR)" TAG="$(TAG)" VM_DIR="$(VM_DIR)" \
	VM_HTTPS_PORT="$(VM_HTTPS_PORT)" \
	VM_SSH_PORT="$(VM_SSH_PORT)" VM_MEMORY="$(VM_MEMORY)" VM_CPUS="$(VM_CPUS)" \
	VM_ACCEL="$(VM_ACCEL)" VM_DISK_SIZE="$(VM_DISK_SIZE)"

# docker compose v2 when present, else docker-compose v1. As compose does by default, the
# stack also reads docker-compose.override.yml when there is one (local changes, git-ignored).
# Compose gets every setting in its environment, as make has it (quoted for the shell), and
# the environment only: make's values are srcs/.env's with the example's for missing keys.
COMPOSE_BIN ?= $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)
COMPOSE_FILES := docker-compose.yml $(wildcard docker-compose.override.yml)
quote       = '$(subst ','\'',$(1))'
SETTINGS_ENV = env $(foreach key,$(SETTINGS),$(key)=$(call quote,$($(key))))
COMPOSE     = $(SETTINGS_ENV) $(COMPOSE_BIN) -p $(PROJECT) $(addprefix -f ,$(COMPOSE_FILES))
# Run docker as the invoking user when possible, through sudo otherwise; sudo keeps the
# settings make exports (below), which compose reads from the environment.
SUDO        := $(shell [ "$$(id -u)" -eq 0 ] || docker info >/dev/null 2>&1 || \
	echo sudo --preserve-env=DOMAIN_NAME,DATA_DIR,HTTPS_PORT,SECRETS_DIR,TAG,LOGIN,COMPOSE_PROFILES,COMPOSE_HTTP_TIMEOUT,WP_REDIS_HOST,NGINX_METRICS,WORDPRESS_SUITE)

# What srcs/tools/swarm.sh needs to make the stack file.
SWARM_ENV    = env ENV_FILE="$(ENV_FILE)" SECRETS_DIR="$(SECRETS_DIR)" TAG="$(TAG)" \
	COMPOSE_BIN="$(COMPOSE_BIN)" INIT_BINARY=target/debug/inception-init

# Steps that need root whoever runs make (the services' data belong to their own users).
ROOT        := $(if $(filter 0,$(shell id -u)),,sudo)

# Compose profiles: "bonus" runs every service (the replica included), "replica" adds only
# the second WordPress container.
comma       := ,
PROFILES    := $(strip $(if $(filter 1,$(BONUS)),bonus) $(if $(filter 2,$(WP_REPLICAS)),replica))
COMPOSE_PROFILES := $(subst $(eval) ,$(comma),$(PROFILES))
REPLICA_ON  := $(if $(PROFILES),1)
# Without the bonus services, WordPress has no object cache to talk to; with them, it uses
# redis. Set either way: `make bonus` runs `make all BONUS=1`, which inherits the
# environment of the make that has no BONUS.
ifeq ($(BONUS),1)
WP_REDIS_HOST := redis:6379
else
WP_REDIS_HOST :=
endif
export WP_REDIS_HOST
# nginx's internal metrics listener, for the monitoring: with the bonus services only.
NGINX_METRICS := $(if $(filter 1,$(BONUS)),1,0)
export NGINX_METRICS
# Commands that must reach every container, whichever mode started it.
ALL_PROFILES := COMPOSE_PROFILES=bonus

# How long compose v1 waits for an answer from the engine (its default, 60 s, is too short
# for creating containers on an emulated VM's first boot).
COMPOSE_HTTP_TIMEOUT ?= 600

export DOMAIN_NAME DATA_DIR HTTPS_PORT SECRETS_DIR TAG LOGIN COMPOSE_PROFILES COMPOSE_HTTP_TIMEOUT \
	WORDPRESS_SUITE

.PHONY: all bonus help provision configure base vendor build images dockerfiles up redeploy wait down clean fclean re \
	logs ps status lint test test-unit test-e2e test-defense audit bench vm vm-run vm-ssh vm-stop vm-test \
	swarm swarm-config swarm-rm swarm-test

all: provision configure base build up wait ## The mandatory part: set up what is missing, build, start, wait until healthy
	@printf '\nInception is up: https://%s%s\n' "$(DOMAIN_NAME)" "$(if $(filter 443,$(HTTPS_PORT)),,:$(HTTPS_PORT))"
	@printf 'Credentials: users in %s, passwords in %s/ (one file each)\n' "$(ENV_FILE)" "$(SECRETS_DIR)"

bonus: ## The same with the bonus services (redis, site, adminer, ftp, backup, monitoring)
	@$(MAKE) --no-print-directory all BONUS=1

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(firstword $(MAKEFILE_LIST)) | sort | \
		awk 'BEGIN {FS = ":.*## "} {printf "  %-12s %s\n", $$1, $$2}'

# The settings file, created from the committed example the first time make runs.
$(ENV_FILE):
	@srcs/tools/configure.sh "$(ENV_FILE)"

provision: ## Install and start the Docker engine, compose and debootstrap if missing; hosts entry; data dirs
	@srcs/tools/provision.sh --domain "$(DOMAIN_NAME)" --data-dir "$(DATA_DIR)"

configure: ## Create srcs/.env and missing secrets (never overwrites)
	@srcs/tools/configure.sh "$(ENV_FILE)" "$(SECRETS_DIR)"

base: ## Make sure the debian:bookworm base image exists (built with debootstrap if needed)
	@$(SUDO) srcs/tools/base-image.sh

vendor: ## Vendor the Rust crates into vendor/ and pack them for offline image builds (needs cargo)
	@srcs/tools/vendor.sh

build: configure base ## Build the images `make` runs (BONUS=1: every image), compiling the workspace once
	@# Nothing to do when every image carries the hash of the current sources (a no-op
	@# build would still send the context to the builder once per image).
	@if source=$$($(SUDO) srcs/tools/source-hash.sh --check $(BUILD_IMAGES)); then \
		echo "build: images up to date with the sources ($$source), nothing to build"; \
	else \
		$(MAKE) --no-print-directory vendor images; \
	fi

images: # (build's work) compose build, labelling the images with the source hash
	@echo "build: images of $(if $(filter bonus,$(PROFILES)),every service,the mandatory services) (logs: $(LOG_DIR)/build-*.log)"
	@# Made by the user who runs make, so that a build through sudo leaves nothing they
	@# cannot remove.
	@mkdir -p "$(LOG_DIR)"
	@source="$$($(SUDO) srcs/tools/source-hash.sh)"; \
	$(SUDO) env INCEPTION_SOURCE="$$source" $(if $(filter 1,$(BONUS)),COMPOSE_PROFILES=bonus$(comma)swarm) \
		srcs/tools/build-images.sh "$(LOG_DIR)" $(SERVICES) -- $(COMPOSE)
	@# Service images a rebuild replaced (untagged), and the build stages' cache: the newest
	@# image of each stage stays (the next build starts from it), older ones would pile up.
	@$(SUDO) docker image prune -f --filter label=org.inception.stage=service >/dev/null
	@for stage in manifests compile wordpress-source; do \
		$(SUDO) docker images -q --filter "label=org.inception.stage=$$stage" | tail -n +2 | \
			xargs -r $(SUDO) docker rmi >/dev/null 2>&1 || true; \
	done
	@echo "build: images ready; Rust workspace compiled $$(cat "$(LOG_DIR)"/build-*.log | grep -c '^cargo-build: compiling the workspace' || true) time(s) (0: unchanged, from the layer cache)"

up: ## Start the stack in the background (BONUS=1: with the bonus services)
	@# Containers of services this mode does not run (left by an earlier `make bonus`) go.
	@$(if $(filter bonus,$(PROFILES)),,$(SUDO) $(ALL_PROFILES) $(COMPOSE) rm -fs \
		$(BONUS_SERVICES) $(if $(REPLICA_ON),,wordpress-replica) >/dev/null 2>&1 || true)
	@$(SUDO) $(COMPOSE) up -d --remove-orphans

redeploy: build ## Replace the WordPress containers one at a time (WP_REPLICAS=2: without losing a request)
	@$(if $(REPLICA_ON),,echo "redeploy: one WordPress container (WP_REPLICAS=1): requests that arrive \
		while it restarts (a few seconds) get 502; with WP_REPLICAS=2 in $(ENV_FILE), none is lost")
	@for s in wordpress $(if $(REPLICA_ON),wordpress-replica); do \
		echo "redeploy: $$s"; \
		$(SUDO) $(COMPOSE) up -d --no-deps --force-recreate $$s && \
		$(SUDO) srcs/tools/status.sh --wait "$(PROJECT)" "$(WAIT_TIMEOUT)" || exit 1; \
	done

wait: ## Wait until every service is healthy (bounded), printing progress
	@$(SUDO) srcs/tools/status.sh --wait "$(PROJECT)" "$(WAIT_TIMEOUT)"

down: ## Stop and remove the containers, bonus ones included (data is kept)
	@$(SUDO) $(ALL_PROFILES) $(COMPOSE) down

clean: ## Remove containers, networks, the project's images and its build cache (data and the base image are kept)
	@$(SUDO) $(ALL_PROFILES) $(COMPOSE) down --rmi all --remove-orphans
	@$(SUDO) docker image prune -f --filter label=$(STAGE_LABEL) >/dev/null
	@echo "clean: kept $(BASE_IMAGE), the base image (make fclean removes it)"

fclean: ## Also delete the volumes, the data under DATA_DIR and the base image (asks, or FORCE=1)
	@if [ "$(FORCE)" != 1 ]; then \
		read -r -p "Delete all data under $(DATA_DIR)? [y/N] " answer; \
		[ "$$answer" = y ] || [ "$$answer" = Y ] || { echo "fclean: kept"; exit 1; }; \
	fi
	@[ -n "$(DATA_DIR)" ] || { echo "fclean: DATA_DIR is empty: set it in $(ENV_FILE)" >&2; exit 1; }
	@$(MAKE) --no-print-directory clean
	@$(SUDO) $(ALL_PROFILES) $(COMPOSE) down -v >/dev/null 2>&1 || true
	@$(ROOT) rm -rf $(foreach d,$(shell srcs/tools/compose-facts.sh data-dirs),"$(DATA_DIR)/$(d)")
	@echo "fclean: data under $(DATA_DIR) deleted"
	@# We built the base image too (`make base`): nothing the project made stays.
	@if $(SUDO) docker image inspect "$(BASE_IMAGE)" >/dev/null 2>&1; then \
		$(SUDO) docker image rm "$(BASE_IMAGE)" >/dev/null && echo "fclean: $(BASE_IMAGE) removed"; \
	fi

re: ## fclean then all
	@$(MAKE) --no-print-directory fclean
	@$(MAKE) --no-print-directory all

logs: ## Follow the logs of every service
	@$(SUDO) $(ALL_PROFILES) $(COMPOSE) logs -f --tail=100

ps: status
status: ## One line per service: state, health and its health message
	@$(SUDO) srcs/tools/status.sh "$(PROJECT)"

test: lint test-unit test-e2e test-defense swarm-test vm-test ## Run every test: lints, unit tests, the end-to-end suite on real containers, the defense path, the Swarm stack, the VM

lint: ## cargo fmt --check, clippy -D warnings and shellcheck on every script
	@cargo fmt --version >/dev/null 2>&1 && cargo clippy --version >/dev/null 2>&1 || \
		{ echo "lint: rustfmt or clippy is missing: rustup component add rustfmt clippy" >&2; exit 1; }
	@command -v shellcheck >/dev/null || \
		{ echo "lint: shellcheck is missing: srcs/tools/provision.sh --tests installs it" >&2; exit 1; }
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --quiet -- -D warnings
	shellcheck -x $(SHELL_SCRIPTS)
	@srcs/tools/dockerfiles.sh --check

dockerfiles: ## Write the compile stage of every service Dockerfile from srcs/requirements/compile-stage.Dockerfile
	@srcs/tools/dockerfiles.sh

test-unit: ## Unit tests of the Rust workspace, and the repository's layout
	cargo test --workspace --exclude inception-tests --quiet
	cargo test -p inception-tests --test layout --quiet

test-e2e: ## The end-to-end suite against real containers (throwaway projects)
	@srcs/tools/provision.sh --tests
	@# vendor even when the images are up to date: the tests build images of their own
	@# (WordPress 6.1 for the upgrade tests) from the same context.
	@$(MAKE) --no-print-directory vendor build BONUS=1
	cargo test -p inception-tests --test e2e --quiet -- --test-threads=$(TEST_THREADS) $(TEST)

test-defense: ## The evaluation's wipe, then make as a sudoer, then USER_DOC's hand checks, in a throwaway docker-in-docker node
	@srcs/tools/provision.sh --tests
	@$(MAKE) --no-print-directory vendor build
	cargo test -p inception-tests --test defense --quiet -- --nocapture

audit: ## TLS scan of the running site with testssl (HIGH/CRITICAL findings, JSON in build/testssl.json)
	@mkdir -p build
	@rm -f build/testssl.json
	@testssl --quiet --color 0 --warnings off --ip 127.0.0.1 --jsonfile build/testssl.json \
		"https://$(DOMAIN_NAME):$(HTTPS_PORT)" >/dev/null || true
	@grep -E '"severity" *: *"(HIGH|CRITICAL)"' -B3 build/testssl.json | grep -E '"(id|finding)"' || \
		echo "audit: no HIGH or CRITICAL finding"

bench: ## Measure stop/start times, throughput, sizes (throwaway project), the Swarm stack (BENCH=swarm, wordpress or sizes: only those rows)
	@srcs/tools/provision.sh --tests
	@$(MAKE) --no-print-directory vendor build BONUS=1
	BENCH="$(BENCH)" cargo test -p inception-tests --release --test bench --quiet -- --nocapture --test-threads=1

swarm: ## Deploy the stack on the swarm this engine manages (compose's, with srcs/swarm/overrides.yml; docs/swarm.md)
	@$(MAKE) --no-print-directory build BONUS=1
	@# inception-init writes the stack file from compose's (needs cargo, as the tests).
	@cargo build --quiet --locked -p inception-init
	@$(SUDO) $(SWARM_ENV) srcs/tools/swarm.sh deploy
	@$(SUDO) srcs/tools/swarm.sh wait

swarm-config: ## Print the Swarm stack file `make swarm` deploys
	@cargo build --quiet --locked -p inception-init
	@$(SWARM_ENV) srcs/tools/swarm.sh config

swarm-rm: ## Remove the Swarm stack (the database volumes and the shared files stay)
	@$(SUDO) srcs/tools/swarm.sh rm

swarm-test: ## The Swarm stack on three docker-in-docker nodes of this machine: failover and Galera recovery
	@srcs/tools/provision.sh --tests
	@$(MAKE) --no-print-directory vendor build BONUS=1
	cargo test -p inception-tests --test swarm --quiet -- --nocapture

vm: ## Build the Debian 12 VM (vm/inception.qcow2 and .vdi) with the stack's images preloaded
	@srcs/tools/provision.sh --vm
	@# The VM's checkout carries the vendored crates, for its offline rebuilds.
	@$(MAKE) --no-print-directory vendor build BONUS=1
	@$(SUDO) $(VM_ENV) srcs/tools/vm.sh build

vm-run: ## Boot the VM with qemu (KVM or TCG), wait until the site answers on VM_HTTPS_PORT
	@$(SUDO) $(VM_ENV) srcs/tools/vm.sh run
	@$(VM_ENV) srcs/tools/vm.sh wait

vm-ssh: ## Log into the running VM as LOGIN (key in secrets/vm_ssh_key)
	@$(VM_ENV) srcs/tools/vm.sh ssh

vm-stop: ## Shut the VM down cleanly (ACPI power button, bounded)
	@$(SUDO) $(VM_ENV) srcs/tools/vm.sh stop

vm-test: vm ## Boot a copy of the VM, run the evaluation's checks through the forwarded port, reboot, check again
	@# The test runs srcs/tools/vm.sh with its own ports and disk, the rest of VM_ENV from here.
	$(VM_ENV) cargo test -p inception-tests --test vm --quiet -- --nocapture
