#!/bin/sh
# install-deps.sh installs the external clients and servers that the
# integration tests (integration/) and the benchmark baseline need on a
# Debian 12 machine: psql and pgbench, the PostgreSQL server binaries,
# psycopg2 and psycopg 3 for the system Python (/usr/bin/python3), pgjdbc,
# a JDK and openssl; and the C libraries raft mode (engine/dqlite, cgo)
# builds against: libdqlite, libraft, libuv, libsqlite3 and liblz4.
#
# It is idempotent: each dependency is probed by what the tests actually use
# (a command, a Python import, a jar), and only the missing ones are
# installed, so a machine that already has everything is left untouched and
# nothing is printed. `apt-get update` runs only when something is missing.
# Run as root, or as a user that may sudo.
set -eu

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		echo "install-deps.sh: must run as root or with sudo available" >&2
		exit 1
	fi
fi

# --client: only what a user needs to talk to the server (psql), for
# `make run`; the default installs everything the test suite needs.
client_only=0
[ "${1:-}" = "--client" ] && client_only=1

missing=""
want() { missing="$missing $1"; }

have_cmd() { command -v "$1" >/dev/null 2>&1; }

# The Debian Python modules live in the system interpreter, not in whatever
# python3 is first on PATH (pyenv, venvs).
have_py() { [ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import $1" >/dev/null 2>&1; }

have_pg_server() {
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/postgres" ] && [ -x "$d/initdb" ] && return 0
	done
	return 1
}

# `javac -version` catches a JRE-only install or a dangling alternative.
have_jdk() { have_cmd java && have_cmd javac && javac -version >/dev/null 2>&1; }

# A -dev package is probed by its header, which is what cgo needs.
have_header() { [ -f "/usr/include/$1" ]; }

# Raft mode links against the dqlite stack (cgo), so even a client-only
# machine that builds sqlclusterd needs the headers and libraries.
want_dqlite() {
	have_header dqlite.h || want libdqlite-dev
	have_header raft.h || want libraft-dev
	have_header uv.h || want libuv1-dev
	have_header sqlite3.h || want libsqlite3-dev
	have_header lz4.h || want liblz4-dev
}

{ have_cmd psql && have_cmd pgbench; } || want postgresql-client
want_dqlite
if [ "$client_only" -eq 1 ]; then
	if [ -z "$missing" ]; then exit 0; fi
	echo "install-deps.sh: installing:$missing"
	$SUDO apt-get update -qq >/dev/null 2>&1 || true
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
	exit 0
fi
have_pg_server || want postgresql
[ -x /usr/bin/python3 ] || want python3
have_py psycopg2 || want python3-psycopg2
have_py psycopg || want python3-psycopg
[ -f /usr/share/java/postgresql.jar ] || want libpostgresql-jdbc-java
have_jdk || want default-jdk-headless
have_cmd openssl || want openssl

if [ -z "$missing" ]; then
	exit 0
fi

echo "install-deps.sh: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# apt's chatter goes to a log that is shown only when apt fails.
if ! $SUDO apt-get update -qq >"$log" 2>&1; then
	cat "$log" >&2
	exit 1
fi
# shellcheck disable=SC2086 # word splitting of the package list is intended
if ! $SUDO apt-get install -y -qq --no-install-recommends $missing >"$log" 2>&1; then
	cat "$log" >&2
	exit 1
fi

# Verify, so a broken install fails here rather than as skipped tests later.
fail=0
{ have_cmd psql && have_cmd pgbench; } || { echo "install-deps.sh: psql/pgbench still missing" >&2; fail=1; }
have_pg_server || { echo "install-deps.sh: PostgreSQL server binaries still missing" >&2; fail=1; }
have_py psycopg2 || { echo "install-deps.sh: /usr/bin/python3 cannot import psycopg2" >&2; fail=1; }
have_py psycopg || { echo "install-deps.sh: /usr/bin/python3 cannot import psycopg" >&2; fail=1; }
[ -f /usr/share/java/postgresql.jar ] || { echo "install-deps.sh: /usr/share/java/postgresql.jar missing" >&2; fail=1; }
have_jdk || { echo "install-deps.sh: javac -version fails" >&2; fail=1; }
have_cmd openssl || { echo "install-deps.sh: openssl missing" >&2; fail=1; }
for h in dqlite.h raft.h uv.h sqlite3.h lz4.h; do
	have_header "$h" || { echo "install-deps.sh: /usr/include/$h missing" >&2; fail=1; }
done
exit $fail
