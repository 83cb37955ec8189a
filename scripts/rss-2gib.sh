#!/usr/bin/env bash
# Peak memory (RSS) of `kura server` while it receives a 2 GiB object.
#
# Two uploads, each into a fresh server and data dir:
#   multipart  `head -c 2GiB /dev/urandom | aws s3 cp - s3://...` — the aws
#              CLI streams stdin as a multipart upload (8 MiB parts, up to 10
#              in flight). The object is then read back through
#              `aws s3 cp s3://... -` and its SHA-256 compared.
#   single     one 2 GiB PutObject (no multipart) from `kura bench`, whose
#              body is a 1 MiB random block repeated, made on the fly.
# No plaintext is ever written to disk: bodies come from /dev/urandom or are
# generated in memory by the client.
#
# While each runs, VmRSS, RssAnon and RssFile of the server are sampled from
# /proc every 0.5 s; at the end the kernel's own peak (VmHWM) is read as well.
# RssFile includes pages of the bbolt file mapping that were touched; its
# 1 GiB InitialMmapSize reservation is address space only (VmSize), never
# RSS.
#
# Usage: scripts/rss-2gib.sh [multipart|single|all]   (default all)
# Env:   KURA_BIN=/path/to/kura   use this binary instead of building one
#        SIZE_MIB=2048            object size
#        LIMIT_MIB=256            fail (exit 1) if a peak VmHWM exceeds this
#        KEEP_WORK=1              keep the temp dir (server logs, samples)
# Needs Linux (/proc), the aws CLI (v1 or v2) for the multipart variant, and
# Go when KURA_BIN is not set.
set -euo pipefail

MODE=${1:-all}
SIZE_MIB=${SIZE_MIB:-2048}
LIMIT_MIB=${LIMIT_MIB:-256}
SIZE=$((SIZE_MIB * 1024 * 1024))
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kura-rss.XXXXXX")
SERVER_PID=
SAMPLER_PID=

cleanup() {
	[ -z "$SAMPLER_PID" ] || kill "$SAMPLER_PID" 2>/dev/null || true
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	if [ -n "${KEEP_WORK:-}" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

case $MODE in multipart | single | all) ;; *)
	echo "usage: $0 [multipart|single|all]" >&2
	exit 2
	;;
esac

for v in $(compgen -e | grep '^AWS_' || true); do unset "$v"; done
export AWS_ACCESS_KEY_ID=AKIAKURARSS000000001
export AWS_SECRET_ACCESS_KEY=kura-rss-secret-key-000000000000000000000
export AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=$WORK/aws-config AWS_SHARED_CREDENTIALS_FILE=$WORK/aws-credentials
export AWS_PAGER="" NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
printf '[default]\nregion = us-east-1\n' >"$AWS_CONFIG_FILE"
: >"$AWS_SHARED_CREDENTIALS_FILE"

if [ -z "${KURA_BIN:-}" ]; then
	(cd "$ROOT" && go build -o "$WORK/kura" ./cmd/kura)
	KURA_BIN=$WORK/kura
fi

# start_server NAME starts kura on a free port with a fresh data dir and sets
# SERVER_PID and URL.
start_server() {
	local dir=$WORK/$1 i
	KURA_ROOT_ACCESS_KEY=$AWS_ACCESS_KEY_ID KURA_ROOT_SECRET_KEY=$AWS_SECRET_ACCESS_KEY \
		"$KURA_BIN" server --data "$dir" --listen 127.0.0.1:0 >"$dir.log" 2>&1 &
	SERVER_PID=$!
	URL=
	for i in $(seq 200); do
		URL=$(sed -n 's/^Kura is serving S3 at \([^ ]*\).*/\1/p' "$dir.log")
		[ -n "$URL" ] && return 0
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "kura server did not start:" >&2
	cat "$dir.log" >&2
	exit 1
}

stop_server() {
	kill "$SERVER_PID" 2>/dev/null || true
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=
}

# status_kib FIELD prints a field of the server's /proc status in KiB.
status_kib() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$SERVER_PID/status"; }

# start_sampler FILE appends "seconds VmRSS RssAnon RssFile" (KiB) to FILE
# every 0.5 s until stopped.
start_sampler() {
	local out=$1 pid=$SERVER_PID
	(
		t0=$(date +%s%N)
		while [ -r "/proc/$pid/status" ]; do
			awk -v t="$((($(date +%s%N) - t0) / 1000000))e-3" '
				$1 == "VmRSS:" { r = $2 } $1 == "RssAnon:" { a = $2 } $1 == "RssFile:" { f = $2 }
				END { if (r != "") printf "%.1f %d %d %d\n", t, r, a, f }' "/proc/$pid/status" >>"$out" 2>/dev/null || true
			sleep 0.5
		done
	) &
	SAMPLER_PID=$!
}

stop_sampler() {
	kill "$SAMPLER_PID" 2>/dev/null || true
	wait "$SAMPLER_PID" 2>/dev/null || true
	SAMPLER_PID=
}

FAILED=0

# report NAME SAMPLES SECONDS prints the peaks and checks the limit.
report() {
	local name=$1 samples=$2 secs=$3 hwm
	hwm=$(status_kib VmHWM)
	awk -v name="$name" -v hwm="$hwm" -v secs="$secs" -v size="$SIZE" -v limit="$LIMIT_MIB" '
		{ n++; if ($2 > r) r = $2; if ($3 > a) a = $3; if ($4 > f) f = $4 }
		END {
			printf "%-22s %5.1f s %7.1f MB/s  samples %4d  peak VmRSS %6.1f MiB (anon %6.1f, file %5.1f)  VmHWM %6.1f MiB  limit %d MiB\n",
				name, secs, size / secs / 1e6, n, r / 1024, a / 1024, f / 1024, hwm / 1024, limit
		}' "$samples"
	if [ "$hwm" -gt $((LIMIT_MIB * 1024)) ]; then
		echo "FAIL $name: peak RSS $((hwm / 1024)) MiB exceeds $LIMIT_MIB MiB" >&2
		FAILED=1
	fi
}

now() { date +%s%N; }
elapsed() { awk -v ns=$(($(now) - $1)) 'BEGIN { printf "%.1f", ns / 1e9 }'; }

run_multipart() {
	command -v aws >/dev/null || { echo "aws CLI not found on PATH" >&2; exit 1; }
	start_server multipart
	aws --endpoint-url "$URL" s3 mb s3://rss >/dev/null
	local samples=$WORK/multipart.samples t sum
	start_sampler "$samples"
	t=$(now)
	head -c "$SIZE" /dev/urandom | tee >(sha256sum | cut -d' ' -f1 >"$WORK/put.sha256") |
		aws --endpoint-url "$URL" s3 cp - s3://rss/big --expected-size "$SIZE" --only-show-errors
	report "multipart PUT" "$samples" "$(elapsed "$t")"
	local len
	len=$(aws --endpoint-url "$URL" s3api head-object --bucket rss --key big --query ContentLength --output text)
	[ "$len" = "$SIZE" ] || { echo "FAIL: stored object has $len bytes, want $SIZE" >&2; FAILED=1; }
	t=$(now)
	sum=$(aws --endpoint-url "$URL" s3 cp s3://rss/big - --only-show-errors | sha256sum | cut -d' ' -f1)
	report "  + GET back (cumul.)" "$samples" "$(elapsed "$t")"
	sleep 0.2 # let the process substitution finish writing
	[ "$sum" = "$(cat "$WORK/put.sha256")" ] || { echo "FAIL: object read back differs from what was sent" >&2; FAILED=1; }
	stop_sampler
	stop_server
	rm -rf "$WORK/multipart"
}

run_single() {
	start_server single
	local samples=$WORK/single.samples t out
	start_sampler "$samples"
	t=$(now)
	# --duration 1ms: exactly one PUT, which is allowed to finish.
	out=$("$KURA_BIN" bench --endpoint "$URL" --access-key "$AWS_ACCESS_KEY_ID" --secret-key "$AWS_SECRET_ACCESS_KEY" \
		--bucket rss --size "${SIZE}B" --concurrency 1 --ops put --duration 1ms --keep --json 2>"$WORK/bench.log")
	report "single PUT" "$samples" "$(elapsed "$t")"
	case $out in *'"ops":1,"errors":0'*) ;; *)
		echo "FAIL: single PUT did not succeed: $out" >&2
		cat "$WORK/bench.log" >&2
		FAILED=1
		;;
	esac
	stop_sampler
	stop_server
	rm -rf "$WORK/single"
}

echo "server RSS while uploading $SIZE_MIB MiB ($(nproc) CPUs, $(uname -sr))"
case $MODE in
multipart) run_multipart ;;
single) run_single ;;
all)
	run_multipart
	run_single
	;;
esac
exit $FAILED
