#!/usr/bin/env bash
# ensure-postgres.sh: make sure a PostgreSQL server answers on
# 127.0.0.1:$PORT with a database `test` that user postgres reaches
# without a password (trust on loopback): what the PostgreSQL tests
# (internal/meta/pg/pgtest, KURA_TEST_POSTGRES's default) and .ci/run use.
#
# Idempotent: when the database answers already it changes nothing. On a
# Debian/Ubuntu machine without one (run as root) it installs the
# postgresql package if missing, creates the cluster if there is none,
# makes loopback connections trusted, starts the cluster and creates the
# database. It never stops, restarts or drops anything.
#
#   KURA_PG_PORT     port (default 5432)
#   KURA_PG_CLUSTER  Debian cluster name (default main); the cluster's
#                    major version is the newest installed
#
# Trust auth on loopback is for a CI or development machine only: every
# local user can then connect as any database user.
set -euo pipefail

PORT=${KURA_PG_PORT:-5432}
CLUSTER=${KURA_PG_CLUSTER:-main}
DB=test

say() { echo "ensure-postgres: $*"; }
fail() {
	echo "ensure-postgres: $*" >&2
	exit 1
}

answers() { psql -h 127.0.0.1 -p "$PORT" -U postgres -d "$1" -Atqc 'select 1' >/dev/null 2>&1; }

if command -v psql >/dev/null && answers "$DB"; then
	say "PostgreSQL answers on 127.0.0.1:$PORT with database $DB"
	exit 0
fi

# A server answers, without the database: create it.
if command -v psql >/dev/null && answers postgres; then
	say "creating database $DB"
	psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -qc "CREATE DATABASE $DB" >/dev/null
	answers "$DB" || fail "database $DB still does not answer on 127.0.0.1:$PORT"
	exit 0
fi

[ "$(id -u)" -eq 0 ] || fail "no PostgreSQL with database $DB on 127.0.0.1:$PORT, and setting one up needs root (apt-get, the cluster's files)"

# The server and Debian's cluster tools.
if ! command -v pg_createcluster >/dev/null; then
	command -v apt-get >/dev/null || fail "no PostgreSQL and no apt-get to install it: install PostgreSQL 13 or newer and create database $DB"
	say "installing postgresql (apt-get)"
	apt-get update -qq
	# The package's own cluster is made and started by its maintainer
	# script where it can; the steps below cover the cases where it cannot
	# (no policy-rc.d, containers without an init system).
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
VERSION=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
[ -n "$VERSION" ] || fail "postgresql is installed but /usr/lib/postgresql holds no server version"

# The cluster: created if missing, on PORT.
if ! pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { found = 1 } END { exit !found }'; then
	say "creating cluster $VERSION/$CLUSTER on port $PORT"
	pg_createcluster "$VERSION" "$CLUSTER" --port "$PORT" >/dev/null
fi
CONF=/etc/postgresql/$VERSION/$CLUSTER
CPORT=$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { print $3 }')
[ "$CPORT" = "$PORT" ] || fail "cluster $VERSION/$CLUSTER listens on port $CPORT, not $PORT: set KURA_PG_PORT=$CPORT or KURA_PG_CLUSTER to another name"

# Trust on loopback, ahead of the package's peer/scram lines. pg_hba.conf
# is read top-down, first match wins.
HBA=$CONF/pg_hba.conf
if ! grep -q '^# kura ensure-postgres' "$HBA"; then
	say "trusting loopback connections in $HBA"
	{
		echo '# kura ensure-postgres: trust on loopback (CI and development machines only)'
		echo 'local all all trust'
		echo 'host all all 127.0.0.1/32 trust'
		echo 'host all all ::1/128 trust'
		cat "$HBA"
	} >"$HBA.kura-new"
	chown --reference="$HBA" "$HBA.kura-new"
	chmod --reference="$HBA" "$HBA.kura-new"
	mv "$HBA.kura-new" "$HBA"
	# A running cluster rereads pg_hba.conf on reload.
	pg_ctlcluster "$VERSION" "$CLUSTER" reload >/dev/null 2>&1 || true
fi

# Running: start it if it is down (pg_ctlcluster needs no init system).
if ! pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c && $4 ~ /^online/ { found = 1 } END { exit !found }'; then
	say "starting cluster $VERSION/$CLUSTER"
	pg_ctlcluster "$VERSION" "$CLUSTER" start
fi
for _ in $(seq 1 30); do
	answers postgres && break
	sleep 1
done
answers postgres || fail "cluster $VERSION/$CLUSTER does not answer on 127.0.0.1:$PORT; see /var/log/postgresql/postgresql-$VERSION-$CLUSTER.log"

if ! answers "$DB"; then
	say "creating database $DB"
	psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -qc "CREATE DATABASE $DB" >/dev/null
fi
answers "$DB" || fail "database $DB still does not answer on 127.0.0.1:$PORT"
say "PostgreSQL $VERSION ($CLUSTER) answers on 127.0.0.1:$PORT with database $DB"
