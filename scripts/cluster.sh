#!/usr/bin/env bash
# Start a local Kura cluster (issue 17, docs/scale-out.md "A local
# cluster"): N `kura server` processes (default 3) on one fresh PostgreSQL
# schema (127.0.0.1:5432, database test, trust auth: what
# scripts/ensure-postgres.sh provides) and one shared blob directory
# (DIR/blobs, file://…?shared=1), on free loopback ports, with one root key
# and one root account, behind a round-robin TCP load balancer
# (internal/tools/tcplb: per connection, so the Host header SigV4 signs and
# TLS reach a node unchanged).
#
# Usage: scripts/cluster.sh DIR [N] [-- SERVER FLAGS...]
#        scripts/cluster.sh stop DIR      (the nodes and the balancer)
#        scripts/cluster.sh destroy DIR   (stop, drop the schema, remove DIR)
#   KURA_ROOT_ACCESS_KEY / KURA_ROOT_SECRET_KEY: the root identity
#     (default: a fixed test pair, printed).
#   KURA_BIN: a kura binary to use instead of building one.
#   KURA_CLUSTER_TLS=1: every node serves HTTPS with one self-signed
#     certificate (DIR/node1/tls/cert.pem, printed as AWS_CA_BUNDLE).
#   KURA_PG_URL: the database (default postgres://postgres@127.0.0.1:5432/test);
#     the schema is kura_cluster_<random>, printed as KURA_CLUSTER_SCHEMA.
#
# Node i keeps its data dir in DIR/nodeI and its log in DIR/nodeI.log; the
# balancer logs to DIR/lb.log. Waits until every node and the balancer
# answer, writes the pids to DIR/pids (one a line) and prints shell lines
# a client evaluates (the KURA_ENDPOINT* and KURA_CLUSTER_DIR lines point
# the scripts using scripts/lib.sh — e2e-sse.sh, e2e-iam.sh, e2e-batch.sh —
# at the cluster):
#   set -a; eval "$(scripts/cluster.sh /tmp/cl)"; set +a
#   aws --endpoint-url "$KURA_ENDPOINT" s3 ls
# Stop: scripts/cluster.sh stop DIR (or kill $(cat DIR/pids)); the schema
# (DIR/schema) and DIR stay, until scripts/cluster.sh destroy DIR.
set -euo pipefail

if [ "${1:-}" = stop ] || [ "${1:-}" = destroy ]; then
	DIR=${2:?usage: scripts/cluster.sh stop|destroy DIR}
	if [ -f "$DIR/pids" ]; then
		kill $(cat "$DIR/pids") 2>/dev/null || true
		for pid in $(cat "$DIR/pids"); do
			while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
		done
	fi
	if [ "$1" = destroy ]; then
		if [ -s "$DIR/schema" ]; then
			PGOPTIONS=--client-min-messages=warning psql "$(cat "$DIR/pg")" -qc "DROP SCHEMA IF EXISTS $(cat "$DIR/schema") CASCADE" >/dev/null
		fi
		rm -rf "$DIR"
	fi
	exit 0
fi
DIR=${1:?usage: scripts/cluster.sh DIR [N] [-- SERVER FLAGS...]}
shift
N=3
if [ $# -gt 0 ] && [ "$1" != -- ]; then
	N=$1
	shift
fi
[ "${1:-}" = -- ] && shift
EXTRA=("$@")
[ "$N" -ge 1 ] || { echo "cluster.sh: N must be at least 1" >&2; exit 2; }

ROOT=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
export KURA_ROOT_ACCESS_KEY=${KURA_ROOT_ACCESS_KEY:-AKIAKURACLUSTER00001}
export KURA_ROOT_SECRET_KEY=${KURA_ROOT_SECRET_KEY:-kura-cluster-secret-00000000000000000000}
export PATH=/usr/local/go/bin:$PATH
if [ -z "${KURA_BIN:-}" ]; then
	(cd "$ROOT" && go build -o "$DIR/kura" ./cmd/kura) >&2
	KURA_BIN=$DIR/kura
fi
(cd "$ROOT" && go build -o "$DIR/tcplb" ./internal/tools/tcplb) >&2
"$ROOT/scripts/ensure-postgres.sh" >&2

PG=${KURA_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
SCHEMA=kura_cluster_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
case $PG in *\?*) META="$PG&schema=$SCHEMA" ;; *) META="$PG?schema=$SCHEMA" ;; esac
echo "$SCHEMA" >"$DIR/schema"
echo "$PG" >"$DIR/pg"
mkdir -p "$DIR/blobs"
BLOBS="file://$DIR/blobs?shared=1"
TLS=()
[ -n "${KURA_CLUSTER_TLS:-}" ] && TLS=(--tls-self-signed)

# free_port: a port nothing listens on now (the kernel's choice).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# wait_for NAME LOG PID: until LOG has the serving line; prints the URL.
wait_for() {
	local url=
	for _ in $(seq 600); do
		url=$(sed -n 's/^Kura is serving S3 at \([^ ]*\).*/\1/p' "$2")
		[ -n "$url" ] && break
		kill -0 "$3" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$url" ] || { echo "$1 did not start; its log ($2):" >&2; cat "$2" >&2; exit 1; }
	for _ in $(seq 100); do
		curl -sk -o /dev/null "$url/" && break
		sleep 0.1
	done
	echo "$url"
}

: >"$DIR/pids"
ADDRS=()
URLS=()
for i in $(seq "$N"); do
	d=$DIR/node$i
	mkdir -p "$d"
	if [ "$i" -gt 1 ]; then
		# One deployment: node1's root key, root account and (with TLS)
		# certificate, as an operator copies them to every node.
		mkdir -p "$d/keys"
		cp "$DIR/node1/keys/root.key" "$d/keys/root.key"
		cp "$DIR/node1/root-credentials.json" "$d/root-credentials.json"
		[ -z "${KURA_CLUSTER_TLS:-}" ] || cp -r "$DIR/node1/tls" "$d/tls"
	fi
	port=$(free_port)
	"$KURA_BIN" server --data "$d" --meta "$META" --blobs "$BLOBS" \
		--listen "127.0.0.1:$port" --admin-listen off --allow-insecure-sse-c \
		${TLS[@]+"${TLS[@]}"} ${EXTRA[@]+"${EXTRA[@]}"} >"$d.log" 2>&1 &
	pid=$!
	echo "$pid" >>"$DIR/pids"
	URLS+=("$(wait_for "node$i" "$d.log" "$pid")")
	ADDRS+=("127.0.0.1:$port")
done

rm -f "$DIR/lb.addr"
"$DIR/tcplb" -listen 127.0.0.1:0 -addr-file "$DIR/lb.addr" "${ADDRS[@]}" >"$DIR/lb.log" 2>&1 &
echo "$!" >>"$DIR/pids"
for _ in $(seq 100); do
	[ -s "$DIR/lb.addr" ] && break
	sleep 0.05
done
[ -s "$DIR/lb.addr" ] || { echo "the balancer did not start; its log:" >&2; cat "$DIR/lb.log" >&2; exit 1; }
SCHEME=http
[ -n "${KURA_CLUSTER_TLS:-}" ] && SCHEME=https
ENDPOINT=$SCHEME://$(cat "$DIR/lb.addr")

echo "KURA_ENDPOINT=$ENDPOINT"
for i in $(seq "$N"); do echo "KURA_NODE${i}_ENDPOINT=${URLS[$((i - 1))]}"; done
echo "KURA_CLUSTER_SCHEMA=$SCHEMA"
echo "KURA_CLUSTER_META='$META'"
[ -z "${KURA_CLUSTER_TLS:-}" ] || echo "AWS_CA_BUNDLE=$DIR/node1/tls/cert.pem"
echo "KURA_CLUSTER_DIR=$DIR"
echo "KURA_ENDPOINT_ACCESS_KEY=$KURA_ROOT_ACCESS_KEY"
echo "KURA_ENDPOINT_SECRET_KEY=$KURA_ROOT_SECRET_KEY"
[ -z "${KURA_CLUSTER_TLS:-}" ] || echo "KURA_ENDPOINT_CA=$DIR/node1/tls/cert.pem"
echo "AWS_ACCESS_KEY_ID=$KURA_ROOT_ACCESS_KEY"
echo "AWS_SECRET_ACCESS_KEY=$KURA_ROOT_SECRET_KEY"
