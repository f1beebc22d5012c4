.PHONY: bench

# bench compares sqlclusterd with a throwaway PostgreSQL 15 under pgbench and
# prints a Markdown table (see cmd/sqlcluster-bench). Extra flags go in
# BENCH_FLAGS, e.g. make bench BENCH_FLAGS="-quick -json bench.json".
BENCH_FLAGS ?=

bench:
	go run ./cmd/sqlcluster-bench $(BENCH_FLAGS)
