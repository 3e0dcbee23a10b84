# Inception: `make` sets up everything on a fresh Debian 12 machine and starts the site;
# `make test` runs every test. `make help` lists the targets.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := all

# Settings from .env (created on first run from .env.example). Command-line values win.
-include .env

LOGIN       ?= $(or $(SUDO_USER),$(shell id -un))
DOMAIN_NAME ?= $(LOGIN).42.fr
DATA_DIR    ?= /home/$(LOGIN)/data
HTTPS_PORT  ?= 443
# Compose project: tests and benchmarks use their own so they never touch this one.
PROJECT     ?= inception
SECRETS_DIR ?= secrets
# Every image of the stack is tagged with this (never `latest`).
TAG         ?= inception
BUILDER     ?= inception-builder:$(TAG)
# Where the build steps write their (long) output; shown when a step fails.
LOG_DIR     ?= /tmp/inception-$(PROJECT)
# How long `make` waits for every service to be healthy.
WAIT_TIMEOUT ?= 180
# 1: also the bonus services (redis, static site, adminer, backup); 0: the mandatory part alone.
BONUS       ?= 1
# Cargo test arguments for the end-to-end suite (e.g. TEST=mariadb to run some).
TEST        ?=
TEST_THREADS ?= 2

# docker compose v2 when present, else docker-compose v1.
COMPOSE_BIN ?= $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)
COMPOSE     := $(COMPOSE_BIN) -p $(PROJECT) -f docker-compose.yml
# Run docker as the invoking user when possible, through sudo otherwise.
SUDO        := $(shell [ "$$(id -u)" -eq 0 ] || docker info >/dev/null 2>&1 || echo sudo)

COMPOSE_PROFILES := $(if $(filter 1,$(BONUS)),bonus,)
# Without the bonus services, WordPress has no object cache to talk to.
ifneq ($(BONUS),1)
WP_REDIS_HOST :=
export WP_REDIS_HOST
endif

export DOMAIN_NAME DATA_DIR HTTPS_PORT SECRETS_DIR TAG BUILDER LOGIN COMPOSE_PROFILES

.PHONY: all help provision configure base vendor builder build up wait down clean fclean re \
	logs ps status lint test test-unit test-e2e audit bench

all: provision configure base build up wait ## Set up what is missing, build, start, wait until healthy
	@printf '\nInception is up: https://%s%s\n' "$(DOMAIN_NAME)" "$(if $(filter 443,$(HTTPS_PORT)),,:$(HTTPS_PORT))"
	@printf 'Credentials: users in .env, passwords in %s/ (one file each)\n' "$(SECRETS_DIR)"

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sort | \
		awk 'BEGIN {FS = ":.*## "} {printf "  %-12s %s\n", $$1, $$2}'

provision: ## Install and start the Docker engine, compose and debootstrap if missing; hosts entry; data dirs
	@scripts/provision.sh --domain "$(DOMAIN_NAME)" --data-dir "$(DATA_DIR)"

configure: ## Create .env and missing secrets (never overwrites)
	@scripts/configure.sh .env "$(SECRETS_DIR)"

base: ## Make sure the debian:bookworm base image exists (built with debootstrap if needed)
	@$(SUDO) scripts/base-image.sh

vendor: ## Vendor the Rust crates into vendor/ for offline image builds (needs cargo)
	@if command -v cargo >/dev/null; then \
		cargo vendor --locked --quiet vendor >/dev/null && echo "vendor: crates in vendor/"; \
	else \
		mkdir -p vendor; echo "vendor: no cargo on this machine; the builder fetches crates online"; \
	fi

builder: base vendor ## Compile the Rust workspace once into the builder image
	@mkdir -p "$(LOG_DIR)"
	@echo "builder: compiling the workspace (log: $(LOG_DIR)/builder.log)"
	@$(SUDO) docker build -t $(BUILDER) -f srcs/requirements/builder/Dockerfile . \
		>"$(LOG_DIR)/builder.log" 2>&1 || { tail -n 40 "$(LOG_DIR)/builder.log"; exit 1; }
	@echo "builder: $(BUILDER) ready"

build: configure builder ## Build every service image (bonus ones included)
	@echo "build: service images (log: $(LOG_DIR)/build.log)"
	@$(SUDO) COMPOSE_PROFILES=bonus $(COMPOSE) build --build-arg BUILDER=$(BUILDER) \
		>"$(LOG_DIR)/build.log" 2>&1 || { tail -n 40 "$(LOG_DIR)/build.log"; exit 1; }
	@echo "build: images ready"

up: ## Start the stack in the background
	@$(SUDO) $(COMPOSE) up -d --remove-orphans

wait: ## Wait until every service is healthy (bounded), printing progress
	@$(SUDO) scripts/wait-healthy.sh "$(PROJECT)" "$(WAIT_TIMEOUT)"

down: ## Stop and remove the containers (data is kept)
	@$(SUDO) $(COMPOSE) down

clean: ## Remove containers, networks and the project's images (data is kept)
	@$(SUDO) $(COMPOSE) down --rmi all --remove-orphans
	@$(SUDO) docker image rm -f $(BUILDER) >/dev/null 2>&1 || true

fclean: ## Also delete the volumes and the data under DATA_DIR (asks, or FORCE=1)
	@if [ "$(FORCE)" != 1 ]; then \
		read -r -p "Delete all data under $(DATA_DIR)? [y/N] " answer; \
		[ "$$answer" = y ] || [ "$$answer" = Y ] || { echo "fclean: kept"; exit 1; }; \
	fi
	@$(MAKE) --no-print-directory clean
	@$(SUDO) $(COMPOSE) down -v >/dev/null 2>&1 || true
	@$(SUDO) rm -rf "$(DATA_DIR)/mariadb" "$(DATA_DIR)/wordpress" "$(DATA_DIR)/backups"
	@echo "fclean: data under $(DATA_DIR) deleted"

re: ## fclean then all
	@$(MAKE) --no-print-directory fclean
	@$(MAKE) --no-print-directory all

logs: ## Follow the logs of every service
	@$(SUDO) $(COMPOSE) logs -f --tail=100

ps: status
status: ## One line per service: state, health and its health message
	@$(SUDO) scripts/status.sh "$(PROJECT)"

test: lint test-unit test-e2e ## Run every test: lints, unit tests, then the end-to-end suite on real containers

lint: ## cargo fmt --check and clippy -D warnings (when the toolchain has them)
	@if cargo fmt --version >/dev/null 2>&1 && cargo clippy --version >/dev/null 2>&1; then \
		cargo fmt --all -- --check && cargo clippy --workspace --all-targets --quiet -- -D warnings; \
	else echo "lint: rustfmt or clippy not installed, not run"; fi

test-unit: ## Unit tests of the Rust workspace
	cargo test --workspace --exclude inception-tests --quiet

test-e2e: provision base build ## The end-to-end suite against real containers (throwaway projects)
	cargo test -p inception-tests --test e2e --quiet -- --test-threads=$(TEST_THREADS) $(TEST)

audit: ## TLS scan of the running site with testssl (HIGH/CRITICAL findings, JSON in /tmp)
	@testssl --quiet --color 0 --warnings off --ip 127.0.0.1 --jsonfile /tmp/inception-testssl.json \
		"https://$(DOMAIN_NAME):$(HTTPS_PORT)" >/dev/null || true
	@grep -E '"severity" *: *"(HIGH|CRITICAL)"' -B3 /tmp/inception-testssl.json | grep -E '"(id|finding)"' || \
		echo "audit: no HIGH or CRITICAL finding"

bench: provision base build ## Measure stop/start times, throughput, sizes (throwaway project)
	cargo test -p inception-tests --release --test bench --quiet -- --nocapture --test-threads=1
