#!/bin/sh
# bench-blob-backends.sh: `kura bench` against a Kura on a local blob
# directory (the default) and against a Kura whose blobs live in a bucket
# of a second Kura (--blobs s3://…), on this machine. Prints one JSON row
# per (op, size, concurrency), tagged with the backend.
#
#   KURA=./kura SIZES=4KiB,64MiB CONC=1,8 DUR=10s ROUNDS=2 scripts/bench-blob-backends.sh
#
# Ports 19401 (local), 19402 (front on s3) and 19403 (the backing Kura)
# must be free. Needs the aws CLI (to create the backing bucket) and curl.
set -eu
KURA=${KURA:-kura}
SIZES=${SIZES:-4KiB,64MiB}
CONC=${CONC:-1,8}
DUR=${DUR:-10s}
ROUNDS=${ROUNDS:-1}
AK=benchak
SK=benchsecretkey123456
work=$(mktemp -d)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

wait_up() {
	i=0
	until curl -s -o /dev/null "http://127.0.0.1:$1/"; do
		i=$((i + 1))
		[ $i -lt 200 ] || { echo "server on port $1 did not start" >&2; exit 1; }
		sleep 0.05
	done
}

# serve NAME PORT [ARGS...]: a fresh Kura on its own data directory.
serve() {
	name=$1 port=$2
	shift 2
	KURA_ROOT_ACCESS_KEY=$AK KURA_ROOT_SECRET_KEY=$SK "$KURA" server --data "$work/$name" \
		--listen "127.0.0.1:$port" --admin-listen off "$@" >"$work/$name.log" 2>&1 &
	pids="$pids $!"
	wait_up "$port"
}

bench() {
	tag=$1 port=$2
	"$KURA" bench --endpoint "http://127.0.0.1:$port" --access-key $AK --secret-key $SK \
		--size "$SIZES" --concurrency "$CONC" --duration "$DUR" --json |
		sed "s/^{/{\"backend\":\"$tag\",/"
}

serve local 19401
serve backing 19403
AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK AWS_DEFAULT_REGION=us-east-1 \
	aws --endpoint-url http://127.0.0.1:19403 s3api create-bucket --bucket blobs >/dev/null
AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
	serve front 19402 --blobs "s3://blobs/front/?endpoint=http://127.0.0.1:19403&path_style=true&region=us-east-1"

r=0
while [ $r -lt "$ROUNDS" ]; do
	bench file 19401
	bench s3 19402
	r=$((r + 1))
done
