# fangkong — two commands: `make run` and `make test`.
SHELL := /bin/bash
BUILD ?= build
PEOPLE ?= 50000
SEED ?= 1
LISTEN ?= 127.0.0.1:8080
DB ?= data/fangkong.db

.PHONY: all deps build web run test unit api e2e asan fuzz lint bench clean

all: build

deps:
	@scripts/install-deps

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$$(nproc) -- --no-print-directory -s

web: deps
	@cd web && npm run build --silent

run: build web
	@mkdir -p data
	@if [ ! -f $(DB) ]; then \
	  $(BUILD)/fangkong init --db $(DB) && \
	  $(BUILD)/fangkong demo --db $(DB) --people $(PEOPLE) --seed $(SEED) --venues 2 --checkpoints 1 --allow-weak-password; \
	else \
	  echo "Using the existing demo district in $(DB) (delete it to rebuild)."; \
	  echo "Demo logins: district_admin, township_officer, community_worker, ... password Demo@2022"; \
	fi
	@echo "fangkong: http://$(LISTEN)/"
	@exec $(BUILD)/fangkong serve --db $(DB) --listen $(LISTEN) --web web/dist

test: build web
	@scripts/test-all $(BUILD)

bench: build
	@bench/run

clean:
	rm -rf $(BUILD) build-asan build-fuzz web/dist
