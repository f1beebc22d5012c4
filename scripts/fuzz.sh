#!/bin/sh
# fuzz.sh runs every Go fuzz target in the module for a short time each
# (default 10s): the wire message decoder, the SQL lexer/splitter/parser/
# translator and the COPY decoders. New crashers are saved under the
# package's testdata/fuzz and fail the run.
set -eu
t=${1:-10s}
cd "$(dirname "$0")/.."
for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	for fn in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
		echo "fuzz $pkg $fn ($t)"
		go test -run '^$' -fuzz "^$fn\$" -fuzztime "$t" "$pkg"
	done
done
