#!/usr/bin/env bash
# End-to-end test of Kura with the real aws CLI (v1, botocore's defaults).
#
# Starts a freshly built `kura server` on a free loopback port with a temp
# data dir and fixed root credentials, drives it with `aws s3` and
# `aws s3api`, then does a smaller cp/ls round over HTTPS: the CLI sends
# aws-chunked bodies with trailing checksums only over TLS, so that path is
# only exercised there.
#
# Usage: scripts/e2e-awscli.sh            (builds ./cmd/kura)
#        KURA_BIN=/path/to/kura scripts/e2e-awscli.sh
# Prints one line per check and ends with "N passed, M failed"; exits 1 if
# any check failed. KEEP_WORK=1 keeps the temp dir (server logs) for a look.
#
# Against a running deployment (a cluster from scripts/cluster.sh): set
# KURA_ENDPOINT (http, started with --restore-delay 6s --website-domain
# s3-website.localhost --access-log-interval 1s), KURA_ENDPOINT_ACCESS_KEY
# and KURA_ENDPOINT_SECRET_KEY; the HTTPS round then runs only against
# KURA_ENDPOINT_HTTPS (with KURA_ENDPOINT_CA, its CA bundle) and is
# reported as not run without it.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kura-e2e-awscli.XXXXXX")
SERVER_PIDS=()

cleanup() {
	local pid
	for pid in "${SERVER_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [ -n "${KEEP_WORK:-}" ]; then
		echo "kept $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- environment: nothing of the user's AWS setup may leak in -------------

for v in $(compgen -e | grep '^AWS_' || true); do unset "$v"; done
export AWS_ACCESS_KEY_ID=${KURA_ENDPOINT_ACCESS_KEY:-AKIAKURAE2E000000001}
export AWS_SECRET_ACCESS_KEY=${KURA_ENDPOINT_SECRET_KEY:-kura-e2e-secret-key-000000000000000000000}
export AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=$WORK/aws-config AWS_SHARED_CREDENTIALS_FILE=$WORK/aws-credentials
export AWS_PAGER="" AWS_RETRY_MODE=standard AWS_MAX_ATTEMPTS=2
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
printf '[default]\nregion = us-east-1\n' >"$AWS_CONFIG_FILE"
: >"$AWS_SHARED_CREDENTIALS_FILE"

command -v aws >/dev/null || { echo "aws CLI not found on PATH" >&2; exit 1; }

if [ -z "${KURA_BIN:-}" ]; then
	export PATH=/usr/local/go/bin:$PATH
	(cd "$ROOT" && go build -o "$WORK/kura" ./cmd/kura)
	KURA_BIN=$WORK/kura
fi

# start_server DIR [flags...] starts kura on port 0 and sets URL from the
# banner it prints.
start_server() {
	local dir=$1 pid i
	shift
	if [ -n "${KURA_ENDPOINT:-}" ]; then
		URL=$KURA_ENDPOINT
		return 0
	fi
	KURA_ROOT_ACCESS_KEY=$AWS_ACCESS_KEY_ID KURA_ROOT_SECRET_KEY=$AWS_SECRET_ACCESS_KEY \
		"$KURA_BIN" server --data "$dir" --listen 127.0.0.1:0 "$@" >"$dir.log" 2>&1 &
	pid=$!
	SERVER_PIDS+=("$pid")
	for i in $(seq 200); do
		# (the log may not exist yet: the background shell creates it)
		URL=$(sed -n 's/^Kura is serving S3 at \([^ ]*\).*/\1/p' "$dir.log" 2>/dev/null || true)
		[ -n "$URL" ] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	echo "kura server did not start:" >&2
	cat "$dir.log" >&2
	exit 1
}

# --- checks ----------------------------------------------------------------

PASS=0 FAIL=0

pass() { PASS=$((PASS + 1)); printf 'ok   %s\n' "$1"; }
fail() {
	FAIL=$((FAIL + 1))
	printf 'FAIL %s\n' "$1"
	[ -z "${2:-}" ] || printf '%s\n' "$2" | head -c 2000 | sed 's/^/     /'
}

# expect NAME WANT GOT
expect() {
	if [ "$2" == "$3" ]; then pass "$1"; else fail "$1" "want: $2"$'\n'"got:  $3"; fi
}

# expect_match NAME REGEX GOT
expect_match() {
	if [[ $3 =~ $2 ]]; then pass "$1"; else fail "$1" "want match: $2"$'\n'"got:  $3"; fi
}

# check NAME CMD... passes when CMD exits 0.
check() {
	local name=$1
	shift
	if "$@" >"$WORK/check.out" 2>&1; then pass "$name"; else fail "$name" "$(tail -n 20 "$WORK/check.out")"; fi
}

# expect_error NAME CODE CMD... passes when CMD fails with S3 error CODE.
expect_error() {
	local name=$1 code=$2
	shift 2
	if "$@" >"$WORK/check.out" 2>&1; then
		fail "$name" "succeeded, want error $code"
	elif grep -q "($code)" "$WORK/check.out"; then
		pass "$name"
	else
		fail "$name" "want error $code, got: $(tail -n 5 "$WORK/check.out")"
	fi
}

s3() { aws --endpoint-url "$URL" "$@"; }

# q runs an aws command for its output; on failure it prints the error
# instead, so the comparison that follows fails with a useful message.
q() { s3 "$@" 2>"$WORK/q.err" || echo "ERROR($?): $(tr '\n' ' ' <"$WORK/q.err" | tail -c 400)"; }

sha() { sha256sum "$1" | cut -d' ' -f1; }
md5() { md5sum "$1" | cut -d' ' -f1; }

# crc32b64 FILE prints the file's CRC32 as S3 shows it (base64, big endian).
crc32b64() {
	python3 -c 'import base64,sys,zlib; d=open(sys.argv[1],"rb").read(); print(base64.b64encode(zlib.crc32(d).to_bytes(4,"big")).decode())' "$1"
}

# sha512b64 FILE prints the file's SHA512 as S3 shows it.
sha512b64() {
	python3 -c 'import base64,hashlib,sys; print(base64.b64encode(hashlib.sha512(open(sys.argv[1],"rb").read()).digest()).decode())' "$1"
}

# xxh64b64 FILE prints the file's XXHASH64 as S3 shows it (base64 of the
# big-endian value); xxh64b64 -composite FILE... prints the COMPOSITE
# checksum of those files as parts: XXHASH64 of their digests, "-N". XXH64
# is written out here (Python has no xxHash in its standard library), which
# also makes it an implementation independent of the server's.
cat >"$WORK/xxh64.py" <<'PY'
import base64, struct, sys
M = (1 << 64) - 1
P1, P2, P3, P4, P5 = 11400714785074694791, 14029467366897019727, 1609587929392839161, 9650029242287828579, 2870177450012600261
def rotl(x, r): return ((x << r) | (x >> (64 - r))) & M
def rnd(acc, v): return (rotl((acc + v * P2) & M, 31) * P1) & M
def xxh64(d):
    n, i = len(d), 0
    if n >= 32:
        v = [(P1 + P2) & M, P2, 0, (-P1) & M]
        while i + 32 <= n:
            for j, x in enumerate(struct.unpack_from('<4Q', d, i)):
                v[j] = rnd(v[j], x)
            i += 32
        h = (rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18)) & M
        for x in v:
            h = ((h ^ rnd(0, x)) * P1 + P4) & M
    else:
        h = P5
    h = (h + n) & M
    while i + 8 <= n:
        h = (rotl(h ^ rnd(0, struct.unpack_from('<Q', d, i)[0]), 27) * P1 + P4) & M
        i += 8
    if i + 4 <= n:
        h = (rotl(h ^ ((struct.unpack_from('<I', d, i)[0] * P1) & M), 23) * P2 + P3) & M
        i += 4
    while i < n:
        h = (rotl(h ^ ((d[i] * P5) & M), 11) * P1) & M
        i += 1
    h ^= h >> 33; h = (h * P2) & M; h ^= h >> 29; h = (h * P3) & M; h ^= h >> 32
    return h.to_bytes(8, "big")
assert xxh64(b"Hello world").hex() == "c500b0c912b376d8"  # the AWS common runtime's test vector
args = sys.argv[1:]
if args[0] == "-composite":
    ds = b"".join(xxh64(open(f, "rb").read()) for f in args[1:])
    print(base64.b64encode(xxh64(ds)).decode() + "-%d" % (len(args) - 1))
else:
    print(base64.b64encode(xxh64(open(args[0], "rb").read())).decode())
PY
xxh64b64() { python3 "$WORK/xxh64.py" "$@"; }

# --- fixtures --------------------------------------------------------------

F=$WORK/files
mkdir -p "$F"
printf 'hello kura\n' >"$F/small.txt"
head -c $((20 << 20)) /dev/urandom >"$F/big.bin"
head -c $((5 << 20)) /dev/urandom >"$F/part1"
head -c 123457 /dev/urandom >"$F/part2"
cat "$F/part1" "$F/part2" >"$F/parts"

TREE=$WORK/tree
mkdir -p "$TREE/a/b/c" "$TREE/d/e" "$TREE/empty-dir-sibling"
printf 'x\n' >"$TREE/x.txt"
head -c 70000 /dev/urandom >"$TREE/a/y.bin"
head -c 1234 /dev/urandom >"$TREE/a/b/z.bin"
printf 'deep\n' >"$TREE/a/b/c/w.txt"
printf 'space\n' >"$TREE/d/with space.txt"
printf 'unicode\n' >"$TREE/d/e/ünïcødé-ключ.txt"
printf 'plus\n' >"$TREE/d/e/a+b=c&d.txt"
: >"$TREE/empty-dir-sibling/zero-length"
TREE_FILES=$(find "$TREE" -type f | wc -l)

# ===========================================================================
echo "== aws CLI over HTTP"
start_server "$WORK/data-http" --restore-delay 6s --website-domain s3-website.localhost --access-log-interval 1s
echo "   server at $URL"

B=e2e-cli-bucket

# --- aws s3 ----------------------------------------------------------------

check "s3 mb" s3 s3 mb "s3://$B"
expect "s3 ls lists the bucket" "$B" "$(q s3 ls | awk '{print $3}' | grep -x "$B")"
check "s3 cp small file up" s3 s3 cp "$F/small.txt" "s3://$B/small.txt" --only-show-errors
check "s3 cp 20 MiB file up" s3 s3 cp "$F/big.bin" "s3://$B/dir/big.bin" --only-show-errors
expect_match "20 MiB upload was multipart (ETag has a part count)" '^"[0-9a-f]{32}-[0-9]+"$' \
	"$(q s3api head-object --bucket "$B" --key dir/big.bin --query ETag --output text)"
check "s3 cp small file down" s3 s3 cp "s3://$B/small.txt" "$WORK/small.out" --only-show-errors
check "small file round-trips" cmp "$F/small.txt" "$WORK/small.out"
check "s3 cp 20 MiB file down" s3 s3 cp "s3://$B/dir/big.bin" "$WORK/big.out" --only-show-errors
expect "20 MiB file sha256 round-trips" "$(sha "$F/big.bin")" "$(sha "$WORK/big.out")"

check "s3 cp s3:// to s3:// (20 MiB: multipart copy)" s3 s3 cp "s3://$B/dir/big.bin" "s3://$B/copy/big.bin" --only-show-errors
expect "server-side copy: same size, multipart ETag" "20971520 yes" \
	"$(q s3api head-object --bucket "$B" --key copy/big.bin --query '[ContentLength,ETag]' --output text |
		awk '{print $1, ($2 ~ /-[0-9]+"$/ ? "yes" : "no: " $2)}')"
expect "server-side copy: sha256" "$(sha "$F/big.bin")" "$(s3 s3 cp "s3://$B/copy/big.bin" - 2>/dev/null | sha256sum | cut -d' ' -f1)"
check "s3 cp - (12 MB from stdin, unknown length)" bash -c \
	"head -c 12000000 '$F/big.bin' | aws --endpoint-url '$URL' s3 cp - 's3://$B/stdin.bin' --only-show-errors"
expect "stdin upload round-trips through s3 cp ... -" "$(head -c 12000000 "$F/big.bin" | sha256sum | cut -d' ' -f1)" \
	"$(s3 s3 cp "s3://$B/stdin.bin" - 2>/dev/null | sha256sum | cut -d' ' -f1)"
check "s3 mv" s3 s3 mv "s3://$B/stdin.bin" "s3://$B/moved/stdin.bin" --only-show-errors
expect "s3 mv removed the source" "moved/stdin.bin" \
	"$(q s3api list-objects-v2 --bucket "$B" --prefix moved/ --query 'Contents[].Key' --output text; q s3api list-objects-v2 --bucket "$B" --prefix stdin --query 'Contents[].Key' --output text | grep -v None)"
check "s3 rm of the copies" s3 s3 rm "s3://$B" --recursive --exclude '*' --include 'copy/*' --include 'moved/*' --only-show-errors

# aws s3 presign signs with SigV2 unless the config asks for s3v4.
printf '[default]\nregion = us-east-1\ns3 =\n    signature_version = s3v4\n' >"$WORK/aws-config-v4"
url=$(AWS_CONFIG_FILE=$WORK/aws-config-v4 q s3 presign "s3://$B/small.txt" --expires-in 300)
expect_match "s3 presign (s3v4) makes a SigV4 URL" 'X-Amz-Algorithm=AWS4-HMAC-SHA256' "$url"
expect "presigned URL fetches the object" "$(cat "$F/small.txt")" \
	"$(python3 -c 'import sys,urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode(), end="")' "$url" 2>&1)"

ls_top=$(q s3 ls "s3://$B")
expect_match "s3 ls bucket shows the prefix" 'PRE dir/' "$ls_top"
expect_match "s3 ls bucket shows the small object" ' 11 small\.txt' "$ls_top"
ls_rec=$(q s3 ls "s3://$B" --recursive)
expect_match "s3 ls --recursive shows the nested key with its size" ' 20971520 dir/big\.bin' "$ls_rec"
expect "s3 ls --recursive lists 2 keys" 2 "$(grep -c . <<<"$ls_rec" || true)"

sync_up=$(q s3 sync "$TREE" "s3://$B/tree" --no-progress)
expect "s3 sync up uploads every file" "$TREE_FILES" "$(grep -c '^upload:' <<<"$sync_up" || true)"
expect "s3 sync up: every file is listed" "$TREE_FILES" \
	"$(q s3 ls "s3://$B/tree/" --recursive | grep -c . || true)"
check "s3 sync down" s3 s3 sync "s3://$B/tree" "$WORK/tree-down" --only-show-errors
check "s3 sync down: diff -r is clean" diff -r "$TREE" "$WORK/tree-down"
expect "s3 sync up again transfers nothing" "" "$(q s3 sync "$TREE" "s3://$B/tree" --no-progress)"
printf 'changed, longer\n' >"$TREE/a/b/c/w.txt"
sync_up=$(q s3 sync "$TREE" "s3://$B/tree" --no-progress)
expect_match "s3 sync up after a change uploads just that file" "^upload: [^ ]*tree/a/b/c/w\.txt to s3://$B/tree/a/b/c/w\.txt$" "$sync_up"
check "s3 rm one key" s3 s3 rm "s3://$B/tree/x.txt" --only-show-errors
sync_down=$(q s3 sync "s3://$B/tree" "$WORK/tree-down" --delete --no-progress)
expect_match "s3 sync --delete down fetches the change" "download: s3://$B/tree/a/b/c/w.txt" "$sync_down"
expect_match "s3 sync --delete down removes the deleted key" "delete: [^ ]*tree-down/x\.txt" "$sync_down"
rm "$TREE/x.txt"
check "s3 sync --delete down: diff -r is clean" diff -r "$TREE" "$WORK/tree-down"

expect_error "s3 rb on a non-empty bucket fails with BucketNotEmpty" BucketNotEmpty s3 s3 rb "s3://$B"
check "s3 rm --recursive" s3 s3 rm "s3://$B" --recursive --only-show-errors
expect "bucket is empty after rm --recursive" "0" "$(q s3api list-objects-v2 --bucket "$B" --no-paginate --query KeyCount --output text)"
check "s3 rb" s3 s3 rb "s3://$B"
expect_error "bucket is gone after rb" NoSuchBucket s3 s3api list-objects-v2 --bucket "$B"
expect_error "head-bucket: 404 for a missing bucket" 404 s3 s3api head-bucket --bucket "$B"

# --- aws s3api -------------------------------------------------------------

B=e2e-api-bucket
check "s3api create-bucket" s3 s3api create-bucket --bucket "$B"
# us-east-1's legacy rule: re-creating your own bucket answers 200.
check "s3api create-bucket again (own bucket, us-east-1): 200" s3 s3api create-bucket --bucket "$B"

put=$(q s3api put-object --bucket "$B" --key docs/readme.txt --body "$F/small.txt" \
	--content-type text/x-kura --metadata color=blue,shape=round \
	--query '[ETag,ServerSideEncryption]' --output text)
expect "s3api put-object: ETag is the MD5, SSE is AES256" "\"$(md5 "$F/small.txt")\"	AES256" "$put"
head=$(q s3api head-object --bucket "$B" --key docs/readme.txt)
sse=$(python3 -c 'import json,sys; print(json.load(sys.stdin).get("ServerSideEncryption"))' <<<"$head" 2>&1 || true)
expect "s3api head-object: ServerSideEncryption is AES256 in the JSON" AES256 "$sse"
expect "s3api head-object: size, type and metadata" "11	text/x-kura	blue	round" \
	"$(q s3api head-object --bucket "$B" --key docs/readme.txt \
		--query '[ContentLength,ContentType,Metadata.color,Metadata.shape]' --output text)"
got=$(q s3api get-object --bucket "$B" --key docs/readme.txt "$WORK/readme.out" --query ServerSideEncryption --output text)
expect "s3api get-object: ServerSideEncryption is AES256" AES256 "$got"
check "s3api get-object: body round-trips" cmp "$F/small.txt" "$WORK/readme.out"
got=$(q s3api get-object --bucket "$B" --key docs/readme.txt --range bytes=6-9 "$WORK/range.out" \
	--query '[ContentLength,ContentRange]' --output text)
expect "s3api get-object --range: length and Content-Range" "4	bytes 6-9/11" "$got"
expect "s3api get-object --range: the bytes" "kura" "$(cat "$WORK/range.out" 2>/dev/null)"
expect_error "s3api get-object on a missing key: NoSuchKey" NoSuchKey \
	s3 s3api get-object --bucket "$B" --key docs/missing "$WORK/missing.out"

for k in docs/a.txt docs/b.txt docs/img/1.png docs/img/2.png docs/src/main.go top.txt; do
	s3 s3api put-object --bucket "$B" --key "$k" --body "$F/small.txt" >/dev/null 2>&1 || true
done
got=$(q s3api list-objects-v2 --bucket "$B" --prefix docs/ --delimiter / --no-paginate \
	--query '[join(`,`, Contents[].Key), join(`,`, CommonPrefixes[].Prefix), to_string(KeyCount)]' --output text)
expect "s3api list-objects-v2 --prefix --delimiter" \
	"docs/a.txt,docs/b.txt,docs/readme.txt	docs/img/,docs/src/	5" "$got"
got=$(q s3api list-objects-v2 --bucket "$B" --delimiter / --query '[join(`,`, Contents[].Key), join(`,`, CommonPrefixes[].Prefix)]' --output text)
expect "s3api list-objects-v2 --delimiter at the root" "top.txt	docs/" "$got"
got=$(s3 s3api list-objects-v2 --bucket "$B" --prefix docs/ --page-size 2 --query 'join(`,`, Contents[].Key)' \
	--output text --debug 2>"$WORK/pages.debug" || echo "ERROR: $(grep -v DEBUG "$WORK/pages.debug" | tail -n 3)")
# (the CLI applies --query to each page in text output: one line per page)
expect "s3api list-objects-v2 --page-size 2 walks all pages" \
	"docs/a.txt,docs/b.txt,docs/img/1.png,docs/img/2.png,docs/readme.txt,docs/src/main.go" "$(paste -sd, <<<"$got")"
expect "... with 2 continuation-token requests" 2 "$(grep -c 'Sending http request.*continuation-token=' "$WORK/pages.debug" || true)"
got=$(q s3api list-objects --bucket "$B" --prefix docs/img/ --query 'Contents[].Key' --output text)
expect "s3api list-objects (V1) --prefix" "docs/img/1.png	docs/img/2.png" "$got"

# multipart by hand
uid=$(q s3api create-multipart-upload --bucket "$B" --key big/parts.bin --query UploadId --output text)
expect_match "s3api create-multipart-upload returns an UploadId" '^[A-Za-z0-9._-]+$' "$uid"
e1=$(q s3api upload-part --bucket "$B" --key big/parts.bin --upload-id "$uid" --part-number 1 --body "$F/part1" --query ETag --output text)
e2=$(q s3api upload-part --bucket "$B" --key big/parts.bin --upload-id "$uid" --part-number 2 --body "$F/part2" --query ETag --output text)
expect "s3api upload-part: ETags are the parts' MD5s" "\"$(md5 "$F/part1")\" \"$(md5 "$F/part2")\"" "$e1 $e2"
got=$(q s3api list-parts --bucket "$B" --key big/parts.bin --upload-id "$uid" --query 'Parts[].[PartNumber,Size,ETag]' --output text)
expect "s3api list-parts" "1	5242880	$e1"$'\n'"2	123457	$e2" "$got"
got=$(q s3api list-multipart-uploads --bucket "$B" --query 'Uploads[].[Key,UploadId]' --output text)
expect "s3api list-multipart-uploads" "big/parts.bin	$uid" "$got"
got=$(q s3api complete-multipart-upload --bucket "$B" --key big/parts.bin --upload-id "$uid" \
	--multipart-upload "{\"Parts\":[{\"PartNumber\":1,\"ETag\":$e1},{\"PartNumber\":2,\"ETag\":$e2}]}" \
	--query '[ETag,ServerSideEncryption]' --output text)
want_etag=$(python3 -c 'import hashlib,sys; print(hashlib.md5(b"".join(bytes.fromhex(h.strip("\"")) for h in sys.argv[1:])).hexdigest()+"-2")' "$e1" "$e2" 2>&1 || true)
expect "s3api complete-multipart-upload: multipart ETag, SSE AES256" "\"$want_etag\"	AES256" "$got"
check "multipart object downloads" s3 s3api get-object --bucket "$B" --key big/parts.bin "$WORK/parts.out"
expect "multipart object sha256 round-trips" "$(sha "$F/parts")" "$(sha "$WORK/parts.out" 2>/dev/null || true)"
expect "s3api list-multipart-uploads is empty after complete" "None" \
	"$(q s3api list-multipart-uploads --bucket "$B" --query 'Uploads' --output text)"
uid=$(q s3api create-multipart-upload --bucket "$B" --key big/aborted --query UploadId --output text)
check "s3api abort-multipart-upload" s3 s3api abort-multipart-upload --bucket "$B" --key big/aborted --upload-id "$uid"
expect_error "s3api list-parts after abort: NoSuchUpload" NoSuchUpload \
	s3 s3api list-parts --bucket "$B" --key big/aborted --upload-id "$uid"

# copy-object
got=$(q s3api copy-object --bucket "$B" --key copies/readme.txt --copy-source "$B/docs/readme.txt" \
	--query '[CopyObjectResult.ETag,ServerSideEncryption]' --output text)
expect "s3api copy-object: same ETag, SSE AES256" "\"$(md5 "$F/small.txt")\"	AES256" "$got"
expect "s3api copy-object keeps content type and metadata" "text/x-kura	blue" \
	"$(q s3api head-object --bucket "$B" --key copies/readme.txt --query '[ContentType,Metadata.color]' --output text)"
check "s3api copy-object --metadata-directive REPLACE" s3 s3api copy-object --bucket "$B" --key copies/replaced.txt \
	--copy-source "$B/docs/readme.txt" --metadata-directive REPLACE --metadata color=red --content-type text/plain
expect "REPLACE sets the new metadata" "text/plain	red	None" \
	"$(q s3api head-object --bucket "$B" --key copies/replaced.txt --query '[ContentType,Metadata.color,Metadata.shape]' --output text)"
check "s3api copy-object of the multipart object" s3 s3api copy-object --bucket "$B" --key copies/parts.bin --copy-source "$B/big/parts.bin"
s3 s3api get-object --bucket "$B" --key copies/parts.bin "$WORK/copy-parts.out" >/dev/null 2>&1 || true
expect "copied multipart object sha256" "$(sha "$F/parts")" "$(sha "$WORK/copy-parts.out" 2>/dev/null || true)"
expect_error "s3api copy-object from a missing key: NoSuchKey" NoSuchKey \
	s3 s3api copy-object --bucket "$B" --key copies/none --copy-source "$B/docs/missing"

# tagging
check "s3api put-object-tagging" s3 s3api put-object-tagging --bucket "$B" --key docs/a.txt \
	--tagging 'TagSet=[{Key=env,Value=prod},{Key=team,Value=storage}]'
expect "s3api get-object-tagging" "env	prod"$'\n'"team	storage" \
	"$(q s3api get-object-tagging --bucket "$B" --key docs/a.txt --query 'TagSet[].[Key,Value]' --output text)"
expect "head-object shows the tag count" "2" \
	"$(q s3api get-object --bucket "$B" --key docs/a.txt "$WORK/tagged.out" --query TagCount --output text)"
check "s3api delete-object-tagging" s3 s3api delete-object-tagging --bucket "$B" --key docs/a.txt
expect "tags are gone" "0" \
	"$(q s3api get-object-tagging --bucket "$B" --key docs/a.txt --query 'length(TagSet)' --output text)"
check "s3api put-bucket-tagging" s3 s3api put-bucket-tagging --bucket "$B" --tagging 'TagSet=[{Key=cost,Value=e2e}]'
expect "s3api get-bucket-tagging" "cost	e2e" "$(q s3api get-bucket-tagging --bucket "$B" --query 'TagSet[].[Key,Value]' --output text)"

expect "s3api get-object-attributes on the multipart object" "2	5366337" \
	"$(q s3api get-object-attributes --bucket "$B" --key big/parts.bin --object-attributes ObjectParts ObjectSize \
		--query '[ObjectParts.TotalPartsCount,ObjectSize]' --output text)"

# storage classes and restore (this server's restores take 6s)
check "s3api put-object --storage-class GLACIER" s3 s3api put-object --bucket "$B" --key cold/small.txt --body "$F/small.txt" --storage-class GLACIER
expect "head-object of a GLACIER object: StorageClass, no Restore yet" "GLACIER	None" \
	"$(q s3api head-object --bucket "$B" --key cold/small.txt --query '[StorageClass,Restore]' --output text)"
expect_error "get-object of a GLACIER object: InvalidObjectState" InvalidObjectState \
	s3 s3api get-object --bucket "$B" --key cold/small.txt "$WORK/cold.out"
expect_error "copy-object from a GLACIER object: InvalidObjectState" InvalidObjectState \
	s3 s3api copy-object --bucket "$B" --key cold/copy.txt --copy-source "$B/cold/small.txt"
check "s3api restore-object --restore-request Days=1" s3 s3api restore-object --bucket "$B" --key cold/small.txt --restore-request Days=1
expect_error "restore-object while in progress: RestoreAlreadyInProgress" RestoreAlreadyInProgress \
	s3 s3api restore-object --bucket "$B" --key cold/small.txt --restore-request Days=1
expect "head-object while restoring: Restore is ongoing" 'ongoing-request="true"' \
	"$(q s3api head-object --bucket "$B" --key cold/small.txt --query Restore --output text)"
for i in $(seq 60); do
	restored=$(q s3api head-object --bucket "$B" --key cold/small.txt --query Restore --output text)
	[[ $restored == *'ongoing-request="false"'* ]] && break
	sleep 0.5
done
expect_match "head-object after the restore: Restore has an expiry date at midnight" \
	'^ongoing-request="false", expiry-date="[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} 00:00:00 GMT"$' "$restored"
check "get-object of the restored object" s3 s3api get-object --bucket "$B" --key cold/small.txt "$WORK/cold.out"
check "restored object round-trips" cmp "$F/small.txt" "$WORK/cold.out"
expect_error "restore-object of a STANDARD object: InvalidObjectState" InvalidObjectState \
	s3 s3api restore-object --bucket "$B" --key top.txt --restore-request Days=1

# delete-objects
got=$(q s3api delete-objects --bucket "$B" \
	--delete '{"Objects":[{"Key":"docs/img/1.png"},{"Key":"docs/img/2.png"},{"Key":"docs/never-existed"}]}' \
	--query 'sort(Deleted[].Key)' --output text)
expect "s3api delete-objects reports every key deleted" "docs/img/1.png	docs/img/2.png	docs/never-existed" "$got"
expect "deleted keys are gone" "0" "$(q s3api list-objects-v2 --bucket "$B" --prefix docs/img/ --no-paginate --query KeyCount --output text)"
got=$(q s3api delete-objects --bucket "$B" --delete '{"Objects":[{"Key":"docs/src/main.go"}],"Quiet":true}' --output json)
expect "s3api delete-objects Quiet reports nothing" "" "$(python3 -c 'import json,sys; d=sys.stdin.read().strip(); print(json.loads(d).get("Deleted","") if d else "")' <<<"$got" 2>&1)"

# versioning
check "s3api put-bucket-versioning Enabled" s3 s3api put-bucket-versioning --bucket "$B" --versioning-configuration Status=Enabled
expect "s3api get-bucket-versioning" Enabled "$(q s3api get-bucket-versioning --bucket "$B" --query Status --output text)"
v1=$(q s3api put-object --bucket "$B" --key ver/doc.txt --body "$F/small.txt" --query VersionId --output text)
v2=$(q s3api put-object --bucket "$B" --key ver/doc.txt --body "$F/part2" --query VersionId --output text)
expect_match "versioned puts return distinct version ids" '^[^ ]+ [^ ]+$' "$( [ "$v1" != "$v2" ] && echo "$v1 $v2")"
dm=$(q s3api delete-object --bucket "$B" --key ver/doc.txt --query '[DeleteMarker,VersionId]' --output text)
expect_match "s3api delete-object on a versioned key makes a delete marker" '^True	[^ ]+$' "$dm"
dm_id=${dm#*$'\t'}
got=$(q s3api list-object-versions --bucket "$B" --prefix ver/ \
	--query '[join(`,`, Versions[].VersionId), join(`,`, DeleteMarkers[].[VersionId, to_string(IsLatest)][])]' --output text)
expect "s3api list-object-versions shows both versions and the DeleteMarker" "$v2,$v1	$dm_id,true" "$got"
expect_error "head-object under a delete marker: 404" 404 s3 s3api head-object --bucket "$B" --key ver/doc.txt
expect_error "get-object under a delete marker: NoSuchKey" NoSuchKey s3 s3api get-object --bucket "$B" --key ver/doc.txt "$WORK/v.out"
check "get-object --version-id of the first version" s3 s3api get-object --bucket "$B" --key ver/doc.txt --version-id "$v1" "$WORK/v1.out"
check "first version's body" cmp "$F/small.txt" "$WORK/v1.out"
check "delete the delete marker by version id" s3 s3api delete-object --bucket "$B" --key ver/doc.txt --version-id "$dm_id"
expect "the latest version is back" "$v2	123457" \
	"$(q s3api head-object --bucket "$B" --key ver/doc.txt --query '[VersionId,ContentLength]' --output text)"
check "s3api put-bucket-versioning Suspended" s3 s3api put-bucket-versioning --bucket "$B" --versioning-configuration Status=Suspended
# S3 names no version on a write that makes the null version; listings do.
expect "suspended bucket write answers no version id" "None" \
	"$(q s3api put-object --bucket "$B" --key ver/doc.txt --body "$F/small.txt" --query VersionId --output text)"
expect "... and stored the null version" "null" \
	"$(q s3api list-object-versions --bucket "$B" --prefix ver/doc.txt --query 'Versions[?IsLatest].VersionId' --output text)"

# Object Lock
LB=e2e-lock-bucket
until=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
check "s3api create-bucket --object-lock-enabled-for-bucket" s3 s3api create-bucket --bucket "$LB" --object-lock-enabled-for-bucket
expect "lock bucket: versioning Enabled, lock Enabled" "Enabled Enabled" \
	"$(q s3api get-bucket-versioning --bucket "$LB" --query Status --output text) $(q s3api get-object-lock-configuration --bucket "$LB" --query ObjectLockConfiguration.ObjectLockEnabled --output text)"
expect_error "put-bucket-versioning Suspended on a lock bucket: InvalidBucketState" InvalidBucketState \
	s3 s3api put-bucket-versioning --bucket "$LB" --versioning-configuration Status=Suspended
lv=$(q s3api put-object --bucket "$LB" --key locked.txt --body "$F/small.txt" --query VersionId --output text)
check "s3api put-object-retention GOVERNANCE" s3 s3api put-object-retention --bucket "$LB" --key locked.txt --version-id "$lv" \
	--retention "Mode=GOVERNANCE,RetainUntilDate=$until"
expect_match "s3api get-object-retention" "^GOVERNANCE	${until%Z}" \
	"$(q s3api get-object-retention --bucket "$LB" --key locked.txt --version-id "$lv" --query '[Retention.Mode,Retention.RetainUntilDate]' --output text)"
expect_error "delete-object --version-id of a GOVERNANCE version: AccessDenied" AccessDenied \
	s3 s3api delete-object --bucket "$LB" --key locked.txt --version-id "$lv"
expect "a simple delete-object still adds a delete marker" True \
	"$(q s3api delete-object --bucket "$LB" --key locked.txt --query DeleteMarker --output text)"
check "delete-object --bypass-governance-retention" s3 s3api delete-object --bucket "$LB" --key locked.txt --version-id "$lv" --bypass-governance-retention
cv=$(q s3api put-object --bucket "$LB" --key compliance.txt --body "$F/small.txt" \
	--object-lock-mode COMPLIANCE --object-lock-retain-until-date "$until" --object-lock-legal-hold-status ON --query VersionId --output text)
expect "head-object shows the lock headers" "COMPLIANCE ON" \
	"$(q s3api head-object --bucket "$LB" --key compliance.txt --version-id "$cv" --query '[ObjectLockMode,ObjectLockLegalHoldStatus]' --output text | tr '\t' ' ')"
check "s3api put-object-legal-hold OFF" s3 s3api put-object-legal-hold --bucket "$LB" --key compliance.txt --version-id "$cv" --legal-hold Status=OFF
expect "s3api get-object-legal-hold" OFF \
	"$(q s3api get-object-legal-hold --bucket "$LB" --key compliance.txt --version-id "$cv" --query LegalHold.Status --output text)"
expect_error "delete-object of a COMPLIANCE version, even with bypass: AccessDenied" AccessDenied \
	s3 s3api delete-object --bucket "$LB" --key compliance.txt --version-id "$cv" --bypass-governance-retention

canon=$(q s3api list-buckets --query Owner.ID --output text)
expect_match "s3api list-buckets: the owner is a canonical user id" '^[0-9a-f]{64}$' "$canon"
acct=$(q sts get-caller-identity --query Account --output text)
expect_match "sts get-caller-identity: a 12-digit account" '^[0-9]{12}$' "$acct"
check "s3api head-object --expected-bucket-owner (the owner)" \
	s3 s3api head-object --bucket "$B" --key top.txt --expected-bucket-owner "$acct"
expect_error "s3api head-object --expected-bucket-owner (another account): 403" 403 \
	s3 s3api head-object --bucket "$B" --key top.txt --expected-bucket-owner 111122223333
expect_error "s3api put-object --expected-bucket-owner (another account): AccessDenied" AccessDenied \
	s3 s3api put-object --bucket "$B" --key top.txt --body "$F/small.txt" --expected-bucket-owner 111122223333
expect_error "s3api copy-object --expected-source-bucket-owner (another account): AccessDenied" AccessDenied \
	s3 s3api copy-object --bucket "$B" --key top2.txt --copy-source "$B/top.txt" --expected-source-bucket-owner 111122223333

expect "s3api get-bucket-location" "None" "$(q s3api get-bucket-location --bucket "$B" --query LocationConstraint --output text)"
expect "s3api get-object-acl: owner has FULL_CONTROL" "FULL_CONTROL" \
	"$(q s3api get-object-acl --bucket "$B" --key top.txt --query 'Grants[0].Permission' --output text)"
expect "s3api get-object-acl: the owner is the canonical id" "$canon" \
	"$(q s3api get-object-acl --bucket "$B" --key top.txt --query 'Owner.ID' --output text)"
expect_error "s3api get-object on a missing bucket: NoSuchBucket" NoSuchBucket \
	s3 s3api get-object --bucket e2e-no-such-bucket --key x "$WORK/x.out"
expect_error "s3api delete-bucket on a non-empty bucket: BucketNotEmpty" BucketNotEmpty s3 s3api delete-bucket --bucket "$B"

# --- the 2026 checksum algorithms (issue 16) ------------------------------

# botocore computes SHA512 itself (here, over HTTP, into a header).
expect "s3api put-object --checksum-algorithm SHA512: the stored SHA512 is the file's" "$(sha512b64 "$F/part2")" \
	"$(q s3api put-object --bucket "$B" --key sha512.bin --body "$F/part2" --checksum-algorithm SHA512 --query ChecksumSHA512 --output text)"
expect "head-object --checksum-mode ENABLED answers the SHA512, FULL_OBJECT" "$(sha512b64 "$F/part2") FULL_OBJECT" \
	"$(q s3api head-object --bucket "$B" --key sha512.bin --checksum-mode ENABLED --query '[ChecksumSHA512,ChecksumType]' --output text | tr '\t' ' ')"
expect "list-objects-v2 names the SHA512 algorithm" "SHA512" \
	"$(q s3api list-objects-v2 --bucket "$B" --prefix sha512.bin --query 'Contents[0].ChecksumAlgorithm[0]' --output text)"
expect_error "put-object with a wrong x-amz-checksum-sha512: BadDigest" BadDigest \
	s3 s3api put-object --bucket "$B" --key sha512-bad.bin --body "$F/part2" --checksum-sha512 "$(sha512b64 "$F/part1")"

# botocore computes XXHASH64 only with awscrt; the values are given here.
xu=$(q s3api create-multipart-upload --bucket "$B" --key xxh.bin --checksum-algorithm XXHASH64 --query '[UploadId,ChecksumType]' --output text)
expect_match "create-multipart-upload --checksum-algorithm XXHASH64: COMPOSITE" '	COMPOSITE$' "$xu"
xu=${xu%%$'\t'*}
xe1=$(q s3api upload-part --bucket "$B" --key xxh.bin --upload-id "$xu" --part-number 1 --body "$F/part1" \
	--checksum-xxhash64 "$(xxh64b64 "$F/part1")" --query ETag --output text)
xe2=$(q s3api upload-part --bucket "$B" --key xxh.bin --upload-id "$xu" --part-number 2 --body "$F/part2" \
	--checksum-xxhash64 "$(xxh64b64 "$F/part2")" --query ETag --output text)
expect "list-parts: each part's XXHASH64" "$(xxh64b64 "$F/part1") $(xxh64b64 "$F/part2")" \
	"$(q s3api list-parts --bucket "$B" --key xxh.bin --upload-id "$xu" --query 'Parts[].ChecksumXXHASH64' --output text | tr '\t' ' ')"
expect_error "complete-multipart-upload without the parts' checksums: InvalidRequest" InvalidRequest \
	s3 s3api complete-multipart-upload --bucket "$B" --key xxh.bin --upload-id "$xu" \
	--multipart-upload "{\"Parts\":[{\"PartNumber\":1,\"ETag\":$xe1},{\"PartNumber\":2,\"ETag\":$xe2}]}"
expect "complete-multipart-upload: the COMPOSITE XXHASH64 of the parts" "$(xxh64b64 -composite "$F/part1" "$F/part2") COMPOSITE" \
	"$(q s3api complete-multipart-upload --bucket "$B" --key xxh.bin --upload-id "$xu" --multipart-upload \
		"{\"Parts\":[{\"PartNumber\":1,\"ETag\":$xe1,\"ChecksumXXHASH64\":\"$(xxh64b64 "$F/part1")\"},{\"PartNumber\":2,\"ETag\":$xe2,\"ChecksumXXHASH64\":\"$(xxh64b64 "$F/part2")\"}]}" \
		--query '[ChecksumXXHASH64,ChecksumType]' --output text | tr '\t' ' ')"
expect "head-object --checksum-mode ENABLED on the XXHASH64 upload" "$(xxh64b64 -composite "$F/part1" "$F/part2")" \
	"$(q s3api head-object --bucket "$B" --key xxh.bin --checksum-mode ENABLED --query ChecksumXXHASH64 --output text)"
check "the XXHASH64 upload reads back as its parts" sh -c "aws --endpoint-url '$URL' s3 cp 's3://$B/xxh.bin' '$WORK/xxh.out' --only-show-errors && cmp '$F/parts' '$WORK/xxh.out'"
expect_error "create-multipart-upload XXHASH64 FULL_OBJECT: InvalidRequest" InvalidRequest \
	s3 s3api create-multipart-upload --bucket "$B" --key xxh-full.bin --checksum-algorithm XXHASH64 --checksum-type FULL_OBJECT

# --- static website (served by the same listener: --website-domain) --------

W=e2e-site
SITE=$WORK/site
mkdir -p "$SITE/docs"
printf '<h1>home</h1>\n' >"$SITE/index.html"
printf '<h1>docs</h1>\n' >"$SITE/docs/index.html"
printf '<h1>not found</h1>\n' >"$SITE/error.html"
check "website: s3 mb" s3 s3 mb "s3://$W"
check "website: s3 sync the site up" s3 s3 sync "$SITE" "s3://$W" --only-show-errors
check "website: a public-read bucket policy" s3 s3api put-bucket-policy --bucket "$W" --policy \
	'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::'"$W"'/*"}]}'
expect_error "website: get-bucket-website before any: NoSuchWebsiteConfiguration" NoSuchWebsiteConfiguration \
	s3 s3api get-bucket-website --bucket "$W"
check "website: s3 website --index-document --error-document" \
	s3 s3 website "s3://$W" --index-document index.html --error-document error.html
expect "website: get-bucket-website" "index.html"$'\t'"error.html" \
	"$(q s3api get-bucket-website --bucket "$W" --query '[IndexDocument.Suffix,ErrorDocument.Key]' --output text)"

# web PATH prints the website's answer to a GET of PATH: status, Location
# and body on one line.
web() {
	curl -s -o "$WORK/web.body" -w '%{http_code} %header{location}' -H "Host: $W.s3-website.localhost:${URL##*:}" "$URL$1"
	printf ' %s' "$(cat "$WORK/web.body")"
}
expect "website: / serves the index document" "200  <h1>home</h1>" "$(web /)"
expect "website: docs/ serves docs/index.html" "200  <h1>docs</h1>" "$(web /docs/)"
expect "website: docs without its slash is a 302 to docs/" "302 /docs/ " "$(web /docs)"
expect "website: a missing page gets the error document and 404" "404  <h1>not found</h1>" "$(web /nope.html)"
check "website: put-bucket-website with a routing rule" s3 s3api put-bucket-website --bucket "$W" --website-configuration \
	'{"IndexDocument":{"Suffix":"index.html"},"ErrorDocument":{"Key":"error.html"},"RoutingRules":[{"Condition":{"KeyPrefixEquals":"old/"},"Redirect":{"ReplaceKeyPrefixWith":"docs/","HttpRedirectCode":"302"}}]}'
expect "website: the routing rule redirects old/ to docs/" "302 http://$W.s3-website.localhost:${URL##*:}/docs/page.html " "$(web /old/page.html)"
check "website: an object with --website-redirect" s3 s3 cp "$F/small.txt" "s3://$W/moved.html" --website-redirect /docs/ --only-show-errors
expect "website: the object redirects (301)" "301 /docs/ " "$(web /moved.html)"
expect_error "website: a redirect location without / or http(s):// is InvalidRedirectLocation" InvalidRedirectLocation \
	s3 s3api put-object --bucket "$W" --key bad.html --body "$F/small.txt" --website-redirect-location docs/
check "website: delete-bucket-website" s3 s3api delete-bucket-website --bucket "$W"
expect_match "website: without a configuration the endpoint says NoSuchWebsiteConfiguration" '^404  <html>.*<li>Code: NoSuchWebsiteConfiguration</li>' \
	"$(web /)"
check "website: s3 rb --force" s3 s3 rb "s3://$W" --force

# --- server access logs (delivered every second: --access-log-interval 1s) --

SRC=e2e-logged LOGS=e2e-logs
check "access logs: s3 mb the source and the target" s3 s3 mb "s3://$SRC"
check "access logs: s3 mb the target" s3 s3 mb "s3://$LOGS"
check "access logs: the target's policy lets logging.s3.amazonaws.com write" s3 s3api put-bucket-policy --bucket "$LOGS" --policy \
	'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::'"$LOGS"'/*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::'"$SRC"'"}}}]}'
expect "access logs: get-bucket-logging before any is empty" "" "$(q s3api get-bucket-logging --bucket "$SRC" --output text)"
check "access logs: put-bucket-logging" s3 s3api put-bucket-logging --bucket "$SRC" --bucket-logging-status \
	'{"LoggingEnabled":{"TargetBucket":"'"$LOGS"'","TargetPrefix":"logs/"}}'
expect "access logs: get-bucket-logging" "$LOGS logs/" \
	"$(q s3api get-bucket-logging --bucket "$SRC" --query '[LoggingEnabled.TargetBucket,LoggingEnabled.TargetPrefix]' --output text | tr '\t' ' ')"
expect_error "access logs: a missing target is InvalidTargetBucketForLogging" InvalidTargetBucketForLogging \
	s3 s3api put-bucket-logging --bucket "$SRC" --bucket-logging-status '{"LoggingEnabled":{"TargetBucket":"e2e-no-such","TargetPrefix":""}}'
check "access logs: a PUT to log" s3 s3 cp "$F/small.txt" "s3://$SRC/logged.txt" --only-show-errors
check "access logs: a GET to log" s3 s3 cp "s3://$SRC/logged.txt" "$WORK/logged.txt" --only-show-errors
LOGLINE=""
for i in $(seq 100); do
	# Every log object not read yet: several nodes (KURA_ENDPOINT on a
	# cluster) each deliver their own, so the newest need not hold the GET.
	for KEY in $(q s3api list-objects-v2 --bucket "$LOGS" --prefix logs/ --query 'Contents[].Key' --output text | tr '\t' '\n' | grep '^logs/' || true); do
		grep -qxF "$KEY" "$WORK/access-read" 2>/dev/null && continue
		s3 s3 cp "s3://$LOGS/$KEY" "$WORK/access.log" --only-show-errors 2>/dev/null || continue
		echo "$KEY" >>"$WORK/access-read"
		cat "$WORK"/access.log >>"$WORK/access-all.log" 2>/dev/null || true
	done
	LOGLINE=$(grep -h ' REST.GET.OBJECT logged.txt ' "$WORK/access-all.log" 2>/dev/null | head -n 1 || true)
	[ -n "$LOGLINE" ] && break
	sleep 0.2
done
expect_match "access logs: the GET's record, in S3's format" \
	"^[0-9a-f]{64} $SRC \[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9:]{8} \+0000\] 127\.0\.0\.1 [0-9a-f]{64} [0-9A-F]+ REST\.GET\.OBJECT logged\.txt \"GET /$SRC/logged\.txt HTTP/1\.1\" 200 - [0-9]+ [0-9]+ [0-9]+ [0-9]+ \"-\" \"aws-cli/.*\" - [0-9A-F]+ SigV4 - AuthHeader 127\.0\.0\.1:[0-9]+ - - - us-east-1$" \
	"$LOGLINE"

# ===========================================================================
echo "== aws CLI over HTTPS (aws-chunked bodies with trailing checksums)"
if [ -n "${KURA_ENDPOINT:-}" ] && [ -z "${KURA_ENDPOINT_HTTPS:-}" ]; then
	echo "   NOT RUN: against KURA_ENDPOINT the HTTPS round needs KURA_ENDPOINT_HTTPS and KURA_ENDPOINT_CA"
	echo
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
	exit
fi
if [ -n "${KURA_ENDPOINT_HTTPS:-}" ]; then
	URL=$KURA_ENDPOINT_HTTPS
	export AWS_CA_BUNDLE=${KURA_ENDPOINT_CA:?KURA_ENDPOINT_HTTPS needs KURA_ENDPOINT_CA}
else
	start_server "$WORK/data-https" --tls-self-signed
	export AWS_CA_BUNDLE=$WORK/data-https/tls/cert.pem
fi
echo "   server at $URL"
B=e2e-tls-bucket

check "https: s3 mb" s3 s3 mb "s3://$B"
check "https: s3 cp small file up" s3 s3 cp "$F/small.txt" "s3://$B/small.txt" --only-show-errors
check "https: s3 cp 20 MiB file up" s3 s3 cp "$F/big.bin" "s3://$B/dir/big.bin" --only-show-errors
expect_match "https: s3 ls --recursive" ' 20971520 dir/big\.bin'$'\n''.* 11 small\.txt$' "$(q s3 ls "s3://$B" --recursive)"
check "https: s3 cp 20 MiB file down" s3 s3 cp "s3://$B/dir/big.bin" "$WORK/big-tls.out" --only-show-errors
expect "https: 20 MiB file sha256 round-trips" "$(sha "$F/big.bin")" "$(sha "$WORK/big-tls.out")"
# (CRC32 is botocore's default since 1.36; naming it keeps older CLIs, such
# as Debian's, on the same trailer path)
s3 s3api put-object --bucket "$B" --key trailer.bin --body "$F/part2" --checksum-algorithm CRC32 \
	--debug >"$WORK/put.debug" 2>&1 || true
check "https: put-object sent an aws-chunked body with a trailing checksum" \
	grep -q 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' "$WORK/put.debug"
expect "https: the stored CRC32 is the trailer's" "$(crc32b64 "$F/part2")" \
	"$(q s3api head-object --bucket "$B" --key trailer.bin --checksum-mode ENABLED --query ChecksumCRC32 --output text)"
check "https: s3 cp small file down" s3 s3 cp "s3://$B/small.txt" "$WORK/small-tls.out" --only-show-errors
check "https: small file round-trips" cmp "$F/small.txt" "$WORK/small-tls.out"
check "https: s3 rb --force" s3 s3 rb "s3://$B" --force

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
