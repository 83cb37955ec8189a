#!/bin/bash
# Kura and MinIO side by side, in one sitting (docs/benchmarks.md, "Kura and
# MinIO side by side"). Both servers run at once on loopback with fresh data
# dirs under OUT; each repetition runs the same s3bench cells against one
# then the other, swapping the order every repetition. Afterwards
# scripts/bench-minio-table.py OUT prints the per-pair ratios.
#
#   MINIO_BIN=/path/to/minio S3BENCH=/path/to/s3bench scripts/bench-minio-ab.sh OUT [REPS]
#
# MinIO is built from source outside this repository (../shared/bench/README.md);
# s3bench is ../shared/bench/s3bench. KURA_BIN defaults to a build of this tree.
# CELLS overrides the matrix cells (s3bench flags); DELETE=0 skips the
# DeleteObjects cell; REKEY=N runs N HTTP bulk re-keys on Kura at the end.
# KURA_FLAGS adds flags to Kura's command line. DROP_CACHES=1 (root only)
# empties the page cache before every turn, so that neither server pays
# for reclaiming what the other (or its own earlier cells) left there.
set -euo pipefail
OUT=${1:?usage: bench-minio-ab.sh OUT [REPS]}
REPS=${2:-4}
: "${MINIO_BIN:?set MINIO_BIN to a MinIO binary built from source}"
: "${S3BENCH:?set S3BENCH to the s3bench binary}"
CELLS=${CELLS:--sizes 4KiB,1MiB,64MiB -sse sse-s3,sse-kms -concurrency 1,8 -duration 3s}
DELETE=${DELETE:-1}
REKEY=${REKEY:-0}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
if [ -z "${KURA_BIN:-}" ]; then
  KURA_BIN=$OUT/kura
  go build -o "$KURA_BIN" ./cmd/kura
fi
export AWS_ACCESS_KEY_ID=benchadmin AWS_SECRET_ACCESS_KEY=benchadmin-secret AWS_DEFAULT_REGION=us-east-1
rm -rf "$OUT/kura-data" "$OUT/minio-data"
KURA_ROOT_ACCESS_KEY=$AWS_ACCESS_KEY_ID KURA_ROOT_SECRET_KEY=$AWS_SECRET_ACCESS_KEY \
  "$KURA_BIN" server --data "$OUT/kura-data" --listen 127.0.0.1:18420 --admin-listen off ${KURA_FLAGS:-} >"$OUT/kura.log" 2>&1 &
KPID=$!
MINIO_ROOT_USER=$AWS_ACCESS_KEY_ID MINIO_ROOT_PASSWORD=$AWS_SECRET_ACCESS_KEY \
MINIO_KMS_SECRET_KEY="bench-key:$(head -c 32 /dev/urandom | base64)" MINIO_BROWSER=off \
  "$MINIO_BIN" server "$OUT/minio-data" --address 127.0.0.1:19000 --console-address 127.0.0.1:19001 >"$OUT/minio.log" 2>&1 &
MPID=$!
trap 'kill $KPID $MPID 2>/dev/null; wait 2>/dev/null; rm -rf "$OUT/kura-data" "$OUT/minio-data"' EXIT
for port in 18420 19000; do
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
done
KKEY=$(aws --endpoint-url http://127.0.0.1:18420 kms create-key --query KeyMetadata.Arn --output text)
echo "kura key $KKEY; minio key bench-key" >"$OUT/keys"

TICKS=$(getconf CLK_TCK)
cputicks() { awk '{print $14+$15}' "/proc/$1/stat"; } # user+system CPU of a process, in ticks
reclaimed() { awk '/^pgscan_(kswapd|direct) /{n+=$2} END{print n}' /proc/vmstat; } # page-cache reclaim work

run() { # server repetition
  local srv=$1 rep=$2 ep key
  if [ "$srv" = kura ]; then ep=http://127.0.0.1:18420 key=$KKEY; else ep=http://127.0.0.1:19000 key=bench-key; fi
  echo "rep $rep $srv matrix load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/load.txt"
  local k0 m0 r0
  if [ "${DROP_CACHES:-0}" = 1 ]; then sync; echo 1 >/proc/sys/vm/drop_caches; fi
  k0=$(cputicks $KPID) m0=$(cputicks $MPID) r0=$(reclaimed)
  # shellcheck disable=SC2086
  "$S3BENCH" -endpoint $ep -bucket "ab-$rep" -mode matrix $CELLS -kms-key-id "$key" \
    -csv "$OUT/matrix-$srv-$rep.csv" >"$OUT/matrix-$srv-$rep.txt" 2>&1
  # The other server should be idle meanwhile; its CPU says whether it was.
  echo "rep $rep $srv matrix done: cpu seconds kura $(( ($(cputicks $KPID) - k0) / TICKS )) minio $(( ($(cputicks $MPID) - m0) / TICKS )); pages scanned for reclaim $(( $(reclaimed) - r0 ))" | tee -a "$OUT/load.txt"
  if [ "$DELETE" = 1 ]; then
    echo "rep $rep $srv delete load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/load.txt"
    "$S3BENCH" -endpoint $ep -bucket "abd-$rep" -mode delete -bulk-objects 3000 -bulk-size 4KiB \
      >"$OUT/delete-$srv-$rep.txt" 2>&1
  fi
}
for rep in $(seq "$REPS"); do
  if [ $((rep % 2)) = 1 ]; then run kura "$rep"; run minio "$rep"; else run minio "$rep"; run kura "$rep"; fi
done
for r in $(seq "$REKEY"); do
  echo "rekey $r load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/load.txt"
  "$S3BENCH" -endpoint http://127.0.0.1:18420 -bucket "abr-$r" -mode bulkrekey -bulk-objects 5000 -bulk-size 4KiB \
    -bulk-concurrency 16 -reencrypt-method update -kms-key-id "$KKEY" >"$OUT/rekey-$r.txt" 2>&1
done
python3 "$(dirname "$0")/bench-minio-table.py" "$OUT"
