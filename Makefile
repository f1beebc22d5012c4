.PHONY: run test unit fuzz build bench vet jepsen

# run builds sqlclusterd and starts it in single mode on 127.0.0.1:5432
# (admin API on 127.0.0.1:7432), data in ./data. psql is installed if
# missing so that `psql -h 127.0.0.1 -p 5432 -U postgres` works right away.
run:
	@sh scripts/install-deps.sh --client
	go build -o bin/sqlclusterd ./cmd/sqlclusterd
	./bin/sqlclusterd --data-dir ./data --pg-addr 127.0.0.1:5432

# test installs what the tests need (Debian packages: PostgreSQL client and
# server, psycopg2/3, pgjdbc, a JDK) and runs everything: unit tests, the
# real-client integration suite and short fuzzing runs.
test:
	sh scripts/install-deps.sh
	go vet ./...
	go test -count=1 -timeout 20m ./...
	$(MAKE) fuzz

# fuzz runs every fuzz target briefly (FUZZTIME each).
FUZZTIME ?= 10s
fuzz:
	sh scripts/fuzz.sh $(FUZZTIME)

build:
	go build -o bin/sqlclusterd ./cmd/sqlclusterd
	go build -o bin/sqlclusterctl ./cmd/sqlclusterctl

# bench compares sqlclusterd with a throwaway PostgreSQL 15 under pgbench and
# prints a Markdown table (see cmd/sqlcluster-bench). Extra flags go in
# BENCH_FLAGS, e.g. make bench BENCH_FLAGS="-quick -json bench.json".
BENCH_FLAGS ?=

bench:
	go run ./cmd/sqlcluster-bench $(BENCH_FLAGS)

# jepsen runs the long profile of the fault suite (integration/jepsen_*):
# every workload (register, set, bank) x fault (JEPSEN_FAULTS; all = none,
# kill, kill-random, pause, partition, partition-halves, bridge, restart,
# membership, combined) x cluster size (JEPSEN_NODES) x mode (JEPSEN_MODES),
# JEPSEN_REPEAT times with JEPSEN_DURATION of workload each, then the
# seeded-bug tests. Needs root (network namespaces). The summary table is
# printed and written to JEPSEN_SUMMARY; failing runs keep their history,
# commit records, logs and data under /tmp/sqlcluster-jepsen-*. The
# defaults are 120 cells x 20 runs: most of a day on two cores (about 15 s
# a run); narrow them for a quicker look, e.g.
#   make jepsen JEPSEN_REPEAT=3 JEPSEN_NODES=3 JEPSEN_FAULTS=partition,bridge
JEPSEN_REPEAT ?= 20
JEPSEN_DURATION ?= 20s
JEPSEN_FAULTS ?= all
JEPSEN_NODES ?= 3,5
JEPSEN_MODES ?= stream,raft
JEPSEN_WORKLOADS ?= register,set,bank
JEPSEN_SUMMARY ?= $(CURDIR)/jepsen-summary.md

jepsen:
	sh scripts/install-deps.sh
	SQLCLUSTER_JEPSEN_REPEAT=$(JEPSEN_REPEAT) SQLCLUSTER_JEPSEN_DURATION=$(JEPSEN_DURATION) \
	SQLCLUSTER_JEPSEN_FAULTS=$(JEPSEN_FAULTS) SQLCLUSTER_JEPSEN_NODES=$(JEPSEN_NODES) \
	SQLCLUSTER_JEPSEN_MODES=$(JEPSEN_MODES) SQLCLUSTER_JEPSEN_WORKLOADS=$(JEPSEN_WORKLOADS) \
	SQLCLUSTER_JEPSEN_SUMMARY=$(JEPSEN_SUMMARY) \
	  go test -count=1 -timeout 0 -v -run 'TestJepsen$$|TestSeeded' ./integration/; \
	status=$$?; cat $(JEPSEN_SUMMARY); exit $$status

# ---- static binaries, container image, three-node demo (examples/) ----
.PHONY: static image demo demo-down

# static builds fully static bin/static/sqlclusterd and bin/static/sqlclusterctl
# for FROM scratch images. A binary whose build graph contains go-dqlite (raft
# mode) is linked with cgo against Debian's static libdqlite/libraft/libuv;
# otherwise it is pure Go (CGO_ENABLED=0). netgo: names resolve in Go, since a
# static glibc cannot load NSS modules. The result is checked with file(1).
# install-deps.sh --client first installs the dqlite headers and static
# libraries (and psql, for the walkthrough) if they are missing.
STATIC_TAGS = netgo,osusergo
STATIC_CGO_LDFLAGS = -lraft -l:libuv_a.a -lsqlite3 -llz4 -lm -lpthread -ldl

static:
	@sh scripts/install-deps.sh --client
	@mkdir -p bin/static
	@set -e; for cmd in sqlclusterd sqlclusterctl; do \
	  if go list -deps ./cmd/$$cmd | grep -q '^github.com/canonical/go-dqlite'; then \
	    echo "static: $$cmd: cgo, libdqlite linked statically"; \
	    CGO_ENABLED=1 CGO_LDFLAGS="$(STATIC_CGO_LDFLAGS)" go build -trimpath -tags $(STATIC_TAGS) \
	      -ldflags '-s -w -linkmode external -extldflags "-static"' -o bin/static/$$cmd ./cmd/$$cmd; \
	  else \
	    echo "static: $$cmd: pure Go (CGO_ENABLED=0)"; \
	    CGO_ENABLED=0 go build -trimpath -tags $(STATIC_TAGS) -ldflags '-s -w' -o bin/static/$$cmd ./cmd/$$cmd; \
	  fi; \
	  file bin/static/$$cmd | grep -q 'statically linked' || { file bin/static/$$cmd; echo "static: bin/static/$$cmd is not static" >&2; exit 1; }; \
	done
	@file bin/static/sqlclusterd bin/static/sqlclusterctl

# image builds sqlcluster:dev FROM scratch (examples/Dockerfile). The build
# context is bin/image: rootfs/ (the binaries, an empty /tmp) and data/.
IMAGE ?= sqlcluster:dev

image: static
	rm -rf bin/image
	mkdir -p bin/image/rootfs/usr/local/bin bin/image/rootfs/tmp bin/image/data
	chmod 1777 bin/image/rootfs/tmp
	cp bin/static/sqlclusterd bin/static/sqlclusterctl bin/image/rootfs/usr/local/bin/
	docker build -t $(IMAGE) -f examples/Dockerfile bin/image

# demo starts three nodes in containers (examples/docker-compose.yml; stream
# mode, or raft with SQLCLUSTER_MODE=raft), waits until all three are healthy,
# voters and alive in `sqlclusterctl members` (role primary/replica in stream
# mode, voter in raft mode) and a primary/leader is known, and prints the
# walkthrough; demo-down removes the containers and their volumes.
# `docker compose` (v2) when it works, else docker-compose (v1).
COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 && echo docker compose || echo docker-compose)
DEMO = $(COMPOSE) -p sqlcluster -f examples/docker-compose.yml
DEMO_WAIT ?= 120
DEMO_MODE = $(or $(SQLCLUSTER_MODE),stream)

demo: image
	$(DEMO) up -d
	@echo "waiting for 3 healthy $(DEMO_MODE)-mode nodes and a primary/leader (up to $(DEMO_WAIT)s)..."
	@i=0; while :; do \
	  healthy=$$(docker inspect -f '{{.State.Health.Status}}' $$($(DEMO) ps -q) 2>/dev/null | grep -c '^healthy$$'); \
	  following=$$(bin/static/sqlclusterctl --node 127.0.0.1:7433 --timeout 2s members 2>/dev/null | grep -c -E ' (primary|replica|voter) +yes +yes '); \
	  if [ "$$healthy" = 3 ] && [ "$$following" = 3 ] && leader=$$(bin/static/sqlclusterctl --node 127.0.0.1:7433 --timeout 2s leader 2>/dev/null); then break; fi; \
	  i=$$((i+1)); if [ $$i -ge $(DEMO_WAIT) ]; then \
	    echo "demo: not ready after $(DEMO_WAIT)s ($$healthy/3 healthy, $$following/3 alive voters); logs:" >&2; $(DEMO) logs --tail 30 >&2; exit 1; fi; \
	  sleep 1; \
	done; \
	p=$${leader%% *}; \
	bin/static/sqlclusterctl --node 127.0.0.1:7433 members; \
	echo; \
	echo "Primary/leader ($(DEMO_MODE) mode): $$p. Try (README.md, section Demo):"; \
	echo "  psql -h 127.0.0.1 -p 5433 -U postgres -c 'CREATE TABLE kv (k text PRIMARY KEY, v text)'"; \
	echo "  psql -h 127.0.0.1 -p 5434 -U postgres -c \"INSERT INTO kv VALUES ('b', 'written on n2')\""; \
	echo "  psql -h 127.0.0.1 -p 5435 -U postgres -c 'SELECT * FROM kv'"; \
	echo "  $(DEMO) kill $$p"; \
	echo "  for p in 7433 7434 7435; do bin/static/sqlclusterctl --node 127.0.0.1:\$$p --timeout 1s leader; done"; \
	echo "  $(DEMO) start $$p"; \
	echo "  make demo-down"

demo-down:
	$(DEMO) down -v
