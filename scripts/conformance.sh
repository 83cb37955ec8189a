#!/usr/bin/env bash
# Run the public Ceph S3 test suite (github.com/ceph/s3-tests) against a
# freshly built Kura: build the binary, start it on a free loopback port with
# a fresh data dir, provision the identities the suite expects through
# Kura's own admin surface (`kura admin account create`, `kura kms`), run
# ../shared/conformance/run-s3tests.sh, stop the server and print the
# runner's last line ("N passed, N failed, N skipped").
#
# Usage: S3TESTS_SRC=/path/to/s3-tests scripts/conformance.sh [--ratchet] [--defaults|--both] [--update-docs] [pytest args...]
#
# The suite is fetched, never committed: S3TESTS_SRC must name an extracted
# s3-tests work tree (see docs/conformance.md). --ratchet (or
# CONFORMANCE_RATCHET=1) passes S3TESTS_EXPECTED_FAILURES (default: the
# project's S3TESTS_EXPECTED_FAILURES file), so the run fails only on a
# failure outside that list. Other knobs: CONFORMANCE_DIR (where
# run-s3tests.sh lives, default ../shared/conformance from the project root),
# KURA_BIN (use this binary instead of building one), S3TESTS_OUT and the
# runner's other S3TESTS_* variables, KEEP_WORK=1 (keep the data dir and
# server log). Exit status: the runner's.
#
# Two figures: by default the server runs with the three compatibility
# flags the suite needs (below); --defaults runs it with S3's defaults
# instead (no flags: the suite's own cleanup then fails most tests), and
# --both runs both, one after the other, and prints both lines (the ratchet
# applies to the first only). --update-docs (with the default or --both)
# rewrites the generated results block of docs/conformance.md — the two
# figures and the runner's per-category table — from this run.
#
# Identities (docs/conformance.md): every suite user is the root of its own
# Kura account with the suite's fixed key pair, so alt is a different owner
# from main. Where the suite's default identity is something Kura cannot
# produce (a tenant-qualified canonical id, an RGW account id, a KMS key id
# that is not a UUID), the runner is told what Kura reports instead; nothing
# in the product knows about the suite.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RATCHET=${CONFORMANCE_RATCHET:-0}
MODES=compat UPDATE_DOCS=0
while [ $# -gt 0 ]; do
	case $1 in
	--ratchet) RATCHET=1 ;;
	--defaults) MODES=defaults ;;
	--both) MODES="compat defaults" ;;
	--update-docs) UPDATE_DOCS=1 ;;
	*) break ;;
	esac
	shift
done

die() { echo "conformance: $*" >&2; exit 2; }

[ -n "${S3TESTS_SRC:-}" ] || die "S3TESTS_SRC is not set: point it at an extracted ceph/s3-tests work tree (docs/conformance.md says how to fetch one)"
[ -d "$S3TESTS_SRC" ] || die "S3TESTS_SRC=$S3TESTS_SRC is not a directory"
CONFORMANCE_DIR=${CONFORMANCE_DIR:-$ROOT/../shared/conformance}
RUNNER=$CONFORMANCE_DIR/run-s3tests.sh
[ -x "$RUNNER" ] || die "runner not found at $RUNNER (set CONFORMANCE_DIR)"
if [ "$RATCHET" = 1 ]; then
	export S3TESTS_EXPECTED_FAILURES=${S3TESTS_EXPECTED_FAILURES:-$ROOT/S3TESTS_EXPECTED_FAILURES}
	[ -f "$S3TESTS_EXPECTED_FAILURES" ] || die "ratchet mode needs $S3TESTS_EXPECTED_FAILURES"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kura-conformance.XXXXXX")
SERVER_PID=
stop_server() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	SERVER_PID=
}
cleanup() {
	stop_server
	if [ -n "${KEEP_WORK:-}" ]; then echo "conformance: kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The admin credentials exist only for this run and only in the
# environment: the server takes them from there and never writes them down.
for v in $(compgen -e | grep '^AWS_' || true); do unset "$v"; done
ADMIN_AK=AKIAKURACONF$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F)
ADMIN_SK=$(od -An -N30 -tx1 /dev/urandom | tr -d ' \n')
export KURA_ROOT_ACCESS_KEY=$ADMIN_AK KURA_ROOT_SECRET_KEY=$ADMIN_SK
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost

if [ -z "${KURA_BIN:-}" ]; then
	export PATH=/usr/local/go/bin:$PATH
	(cd "$ROOT" && go build -o "$WORK/kura" ./cmd/kura) || die "go build ./cmd/kura failed"
	KURA_BIN=$WORK/kura
fi

# run_mode MODE [pytest args...] starts a fresh server in MODE (compat:
# the three flags; defaults: S3's defaults), provisions the suite's
# identities, runs the suite into $WORK/out-MODE and stops the server.
run_mode() {
local mode=$1
shift
unset S3TESTS_KMS_KEY_ID S3TESTS_KMS_KEY_ID2 MAIN_USER_ID ALT_USER_ID TENANT_USER_ID IAM_USER_ID IAM_ROOT_USER_ID IAM_ALT_ROOT_USER_ID
set -- "$mode" "$@"
# SSE-C over plain HTTP: the suite speaks http by default and sends SSE-C
# keys; --allow-insecure-sse-c is the product's knob for exactly this.
# --ignore-bypass-without-lock: the suite's cleanup sends DeleteObjects with
# x-amz-bypass-governance-retention: true on every bucket; S3 (and Kura by
# default) refuses that header on buckets without Object Lock, RGW ignores it
# (docs/conformance.md, "Teardown").
# --default-object-ownership ObjectWriter: the suite predates S3's April 2023
# default (BucketOwnerEnforced, ACLs disabled) and creates buckets with
# canned ACLs; it marks the one test of that default fails_on_aws.
local flags=(--allow-insecure-sse-c --ignore-bypass-without-lock --default-object-ownership ObjectWriter)
[ "$1" = defaults ] && flags=(--allow-insecure-sse-c) # SSE-C over HTTP only: the suite cannot speak HTTPS here
rm -rf "$WORK/data"
"$KURA_BIN" server --data "$WORK/data" --listen 127.0.0.1:0 "${flags[@]}" \
	>"$WORK/server.log" 2>&1 &
SERVER_PID=$!
URL=
for _ in $(seq 1200); do # 60 s: a cluster (conformance-on-cluster.sh) takes longer than one server
	URL=$(sed -n 's/^Kura is serving S3 at \([^ ]*\).*/\1/p' "$WORK/server.log")
	[ -n "$URL" ] && break
	kill -0 "$SERVER_PID" 2>/dev/null || break
	sleep 0.05
done
[ -n "$URL" ] || { cat "$WORK/server.log" >&2; die "the server did not start"; }
HOSTPORT=${URL#http://}
HOST=${HOSTPORT%:*} PORT=${HOSTPORT##*:}

local out
# account NAME EMAIL CANONICAL_ID DISPLAY_NAME AK SK creates an account whose
# root has the given key pair and prints its 12-digit account id.
account() {
	local out
	out=$("$KURA_BIN" admin --endpoint "$URL" account create --name "$1" --email "$2" \
		--canonical-id "$3" --display-name "$4" --access-key "$5" --secret-key "$6") ||
		die "kura admin account create --name $1 failed"
	jq -r .Account.AccountId <<<"$out"
}

# The suite's fixed key pairs (s3tests.conf.SAMPLE); main's comes from
# there too, and the runner takes it positionally.
MAIN_AK=0555b35654ad1656d804
MAIN_SK=h7GhxuBLTrlhVUyxSPUKUV8r/2EI4ngqJxD7iBdBYLhwluN30JaT3Q==
# Kura canonical ids are [A-Za-z0-9_+.@-]; RGW's tenant-qualified
# "testx$<hex>" is not one, so the tenant gets the hex part. Account ids
# are Kura's (12 random digits); account() prints them.
TENANT_CID=9876543210abcdef0123456789abcdef0123456789abcdef0123456789abcdef

account tester tester@ceph.com testid "M. Tester" "$MAIN_AK" "$MAIN_SK" >/dev/null
account john.doe john.doe@example.com 56789abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234 john.doe \
	NOPQRSTUVWXYZABCDEFG nopqrstuvwxyzabcdefghijklmnabcdefghijklm >/dev/null
account tenanteduser tenanteduser@example.com "$TENANT_CID" 'testx$tenanteduser' \
	HIJKLMNOPQRSTUVWXYZA opqrstuvwxyzabcdefghijklmnopqrstuvwxyzab >/dev/null
account youruseridhere s3@example.com 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef youruseridhere \
	ABCDEFGHIJKLMNOPQRST abcdefghijklmnopqrstuvwxyzabcdefghijklmn >/dev/null
IAM_ROOT_ID=$(account iam-root account1@ceph.com iam-root-canonical iam-root \
	AAAAAAAAAAAAAAAAAAaa aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa)
IAM_ALT_ROOT_ID=$(account iam-alt-root account2@ceph.com iam-alt-root-canonical iam-alt-root \
	BBBBBBBBBBBBBBBBBBbb bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb)

# kms_key ALIAS creates a key in main's account, names it alias/ALIAS and
# prints its ARN. The suite wants ids "testkey-1"/"testkey-2" echoed back
# verbatim; Kura key ids are UUIDs and S3 echoes the key's ARN, so the ARN
# is what the runner is given (sent as-is and echoed as-is).
kms_key() {
	local out arn
	out=$("$KURA_BIN" kms --endpoint "$URL" --access-key "$MAIN_AK" --secret-key "$MAIN_SK" \
		create-key --description "s3-tests $1") || die "kura kms create-key failed"
	arn=$(jq -r .KeyMetadata.Arn <<<"$out")
	"$KURA_BIN" kms --endpoint "$URL" --access-key "$MAIN_AK" --secret-key "$MAIN_SK" \
		create-alias --alias-name "alias/$1" --target-key-id "$arn" >/dev/null || die "kura kms create-alias failed"
	echo "$arn"
}
export S3TESTS_KMS_KEY_ID=${S3TESTS_KMS_KEY_ID:-$(kms_key testkey-1)}
export S3TESTS_KMS_KEY_ID2=${S3TESTS_KMS_KEY_ID2:-$(kms_key testkey-2)}
[ -n "$S3TESTS_KMS_KEY_ID" ] && [ -n "$S3TESTS_KMS_KEY_ID2" ] || die "could not create the KMS keys"

# owner_id AK SK prints the Owner ID that ListBuckets reports for that key
# pair. The suite compares Owner and grantee IDs with its user_id, and the
# runner is given what Kura reports: the canonical ids above where Kura
# shows canonical ids, the 12-digit account ids where it shows those
# (docs/conformance.md, "Provisioning").
owner_id() {
	"${S3TESTS_PYTHON:-python3}" - "$URL" "$1" "$2" <<'PYEOF'
import sys, boto3
from botocore.config import Config
url, ak, sk = sys.argv[1:4]
c = boto3.client("s3", endpoint_url=url, aws_access_key_id=ak, aws_secret_access_key=sk,
                 region_name="us-east-1", config=Config(retries={"max_attempts": 1}))
print(c.list_buckets()["Owner"]["ID"])
PYEOF
}
export MAIN_USER_ID=${MAIN_USER_ID:-$(owner_id "$MAIN_AK" "$MAIN_SK")}
export ALT_USER_ID=${ALT_USER_ID:-$(owner_id NOPQRSTUVWXYZABCDEFG nopqrstuvwxyzabcdefghijklmnabcdefghijklm)}
export TENANT_USER_ID=${TENANT_USER_ID:-$(owner_id HIJKLMNOPQRSTUVWXYZA opqrstuvwxyzabcdefghijklmnopqrstuvwxyzab)}
export IAM_USER_ID=${IAM_USER_ID:-$(owner_id ABCDEFGHIJKLMNOPQRST abcdefghijklmnopqrstuvwxyzabcdefghijklmn)}
[ -n "$MAIN_USER_ID" ] && [ -n "$ALT_USER_ID" ] || die "ListBuckets did not report an Owner ID for main or alt"
export IAM_ROOT_USER_ID=${IAM_ROOT_USER_ID:-$IAM_ROOT_ID}
export IAM_ALT_ROOT_USER_ID=${IAM_ALT_ROOT_USER_ID:-$IAM_ALT_ROOT_ID}

shift
echo "conformance: kura at $URL ($(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown), $mode), s3-tests in $S3TESTS_SRC" >&2
local rc
set +e
S3TESTS_OUT=${S3TESTS_OUT_BASE:-$WORK}/out-$mode "$RUNNER" "$HOST" "$PORT" "$MAIN_AK" "$MAIN_SK" "$@" | tee "$WORK/runner-$mode.out"
rc=${PIPESTATUS[0]}
set -e
stop_server
return "$rc"
}

# The caller's S3TESTS_OUT, if any, is where the runs' results go.
S3TESTS_OUT_BASE=${S3TESTS_OUT:-}
unset S3TESTS_OUT
RC=0 FIRST=1
for mode in $MODES; do
	if [ "$FIRST" = 0 ]; then unset S3TESTS_EXPECTED_FAILURES; fi # the ratchet is for the first figure
	# run_mode ends with set -e on again, so its status is taken with ||:
	# a bare call returning non-zero would end the script right here,
	# before the summary and --update-docs.
	rc=0
	run_mode "$mode" "$@" || rc=$?
	if [ "$FIRST" = 1 ]; then RC=$rc; fi
	FIRST=0
done
echo
for mode in $MODES; do
	printf '%-9s %s\n' "$mode:" "$(tail -n 1 "$WORK/runner-$mode.out")"
done

# update_docs rewrites the block between the generated-results markers in
# docs/conformance.md from this run's figures and categories.md.
update_docs() {
	local doc=$ROOT/docs/conformance.md out=${S3TESTS_OUT_BASE:-$WORK}
	grep -q '^<!-- results:begin' "$doc" || die "docs/conformance.md has no <!-- results:begin --> marker"
	{
		echo "<!-- results:begin (written by scripts/conformance.sh --update-docs; do not edit) -->"
		echo
		echo "Run of $(date -u +%F) at $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown), s3-tests $(git -C "$S3TESTS_SRC" rev-parse --short=12 HEAD 2>/dev/null || basename "$S3TESTS_SRC"):"
		echo
		for mode in $MODES; do
			case $mode in
			compat) echo "- with the three compatibility flags: **$(tail -n 1 "$WORK/runner-$mode.out")**" ;;
			defaults) echo "- with S3's defaults (no compatibility flags): **$(tail -n 1 "$WORK/runner-$mode.out")**" ;;
			esac
		done
		echo
		echo "Per category, with the compatibility flags (the runner's categories.md; categories overlap):"
		echo
		cat "$out/out-compat/categories.md"
		echo
		echo "<!-- results:end -->"
	} >"$WORK/results.md"
	awk -v f="$WORK/results.md" '
		/^<!-- results:begin/ { while ((getline l < f) > 0) print l; skip = 1; next }
		/^<!-- results:end/ { skip = 0; next }
		!skip' "$doc" >"$WORK/conformance.md" && cp "$WORK/conformance.md" "$doc"
	echo "conformance: docs/conformance.md results block rewritten" >&2
}
if [ "$UPDATE_DOCS" = 1 ]; then
	case " $MODES " in *" compat "*) update_docs ;; *) die "--update-docs needs the compat run (default or --both)" ;; esac
fi
exit "$RC"
