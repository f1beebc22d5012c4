.PHONY: run test unit fuzz build bench vet

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
