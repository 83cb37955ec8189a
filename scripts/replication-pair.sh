#!/usr/bin/env bash
# Start two linked Kura deployments for replication (issue 14,
# docs/replication.md "Linked deployments"): tokyo (ap-northeast-1, the
# partition's primary: it owns IAM and the bucket-name registry) and osaka
# (ap-northeast-3, a follower), on free loopback ports, with their data
# under DIR (DIR/tokyo, DIR/osaka; their logs beside them).
#
# Usage: scripts/replication-pair.sh DIR
#   KURA_ROOT_ACCESS_KEY / KURA_ROOT_SECRET_KEY: the shared root identity
#   (default: a fixed test pair, printed). KURA_BIN: a kura binary to use
#   instead of building one from this repository.
#
# Waits until both answer, writes their pids to DIR/pids (one a line) and
# prints shell lines a client evaluates:
#   eval "$(scripts/replication-pair.sh /tmp/pair)"
#   aws --endpoint-url "$TOKYO_ENDPOINT" s3 ls
# Stop them with: kill $(cat DIR/pids)
set -euo pipefail

DIR=${1:?usage: scripts/replication-pair.sh DIR}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
export KURA_ROOT_ACCESS_KEY=${KURA_ROOT_ACCESS_KEY:-AKIAKURAPAIR00000001}
export KURA_ROOT_SECRET_KEY=${KURA_ROOT_SECRET_KEY:-kura-pair-secret-0000000000000000000000}
if [ -z "${KURA_BIN:-}" ]; then
	export PATH=/usr/local/go/bin:$PATH
	(cd "$ROOT" && go build -o "$DIR/kura" ./cmd/kura) >&2
	KURA_BIN=$DIR/kura
fi

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
	# It answers: an unsigned request gets an S3 error document.
	for _ in $(seq 100); do
		curl -s -o /dev/null "$url/" && break
		sleep 0.1
	done
	echo "$url"
}

TOKYO_LINK=127.0.0.1:$(free_port)
OSAKA_LINK=127.0.0.1:$(free_port)
: >"$DIR/pids"
"$KURA_BIN" server --data "$DIR/tokyo" --listen 127.0.0.1:0 --admin-listen off --region ap-northeast-1 \
	--deployment tokyo --link-listen "$TOKYO_LINK" --allow-insecure-sse-c >"$DIR/tokyo.log" 2>&1 &
TOKYO_PID=$!
echo "$TOKYO_PID" >>"$DIR/pids"
TOKYO_ENDPOINT=$(wait_for tokyo "$DIR/tokyo.log" "$TOKYO_PID")
"$KURA_BIN" server --data "$DIR/osaka" --listen 127.0.0.1:0 --admin-listen off --region ap-northeast-3 \
	--deployment osaka --link-listen "$OSAKA_LINK" --join "https://$TOKYO_LINK" \
	--link-token-file "$DIR/tokyo/link/token" --allow-insecure-sse-c >"$DIR/osaka.log" 2>&1 &
OSAKA_PID=$!
echo "$OSAKA_PID" >>"$DIR/pids"
OSAKA_ENDPOINT=$(wait_for osaka "$DIR/osaka.log" "$OSAKA_PID")

cat <<VARS
TOKYO_ENDPOINT=$TOKYO_ENDPOINT
OSAKA_ENDPOINT=$OSAKA_ENDPOINT
TOKYO_REGION=ap-northeast-1
OSAKA_REGION=ap-northeast-3
TOKYO_PID=$TOKYO_PID
OSAKA_PID=$OSAKA_PID
AWS_ACCESS_KEY_ID=$KURA_ROOT_ACCESS_KEY
AWS_SECRET_ACCESS_KEY=$KURA_ROOT_SECRET_KEY
VARS
