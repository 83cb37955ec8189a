#!/usr/bin/env bash
# End-to-end test of replication between two linked deployments with the
# real aws CLI: seed 004's bidirectional setup. scripts/replication-pair.sh
# starts tokyo (ap-northeast-1, primary) and osaka (ap-northeast-3); the
# script creates s3-bucket-tokyo and s3-bucket-osaka (versioned), a KMS key
# on each side, one replication role per direction with seed 004's
# permission policy (S3 actions on both buckets, kms:Decrypt on the source
# key, kms:Encrypt/GenerateDataKey on the destination key), IAM made once at
# the primary and seen by both, and put-bucket-replication on both buckets.
# It uploads one object per encryption type on each side (SSE-C with seed
# 004's `aws s3 cp --sse-c` commands), and checks: the source says
# COMPLETED, the replica says REPLICA with the right encryption (SSE-KMS
# and DSSE-KMS under the destination's key) and the same bytes, nothing
# loops back; a delete marker replicates; and with kms:Encrypt removed from
# the role an SSE-KMS object is FAILED.
#
# Usage: scripts/e2e-replication.sh   (or KURA_BIN=/path/to/kura …)
# Ends with "N passed, M failed"; exits 1 if any check failed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kura-e2e-replication.XXXXXX")
cleanup() {
	[ -f "$WORK/pair/pids" ] && kill $(cat "$WORK/pair/pids") 2>/dev/null || true
	[ -n "${KEEP_WORK:-}" ] && echo "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

for v in $(compgen -e | grep '^AWS_' || true); do unset "$v"; done
export KURA_ROOT_ACCESS_KEY=AKIAKURAREPLE2E00001 KURA_ROOT_SECRET_KEY=kura-repl-e2e-secret-000000000000000000
export AWS_PAGER="" AWS_MAX_ATTEMPTS=1 AWS_CONFIG_FILE=$WORK/config AWS_SHARED_CREDENTIALS_FILE=$WORK/credentials
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
: >"$AWS_CONFIG_FILE"
: >"$AWS_SHARED_CREDENTIALS_FILE"

eval "$("$ROOT/scripts/replication-pair.sh" "$WORK/pair")"
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY

PASS=0 FAIL=0
pass() { PASS=$((PASS + 1)); printf 'ok   %s\n' "$1"; }
fail() { FAIL=$((FAIL + 1)); printf 'FAIL %s\n     %s\n' "$1" "$2"; }
expect() { if [ "$2" == "$3" ]; then pass "$1"; else fail "$1" "want [$2] got [$3]"; fi; }
run() { "$@" 2>"$WORK/err" || echo "ERROR: $(tr '\n' ' ' <"$WORK/err" | tail -c 300)"; }
tokyo() { run aws --endpoint-url "$TOKYO_ENDPOINT" --region ap-northeast-1 "$@"; }
osaka() { run aws --endpoint-url "$OSAKA_ENDPOINT" --region ap-northeast-3 "$@"; }
side() { if [ "$1" = tokyo ]; then shift; tokyo "$@"; else shift; osaka "$@"; fi; }

# status SIDE BUCKET KEY: the object's x-amz-replication-status.
status() { side "$1" s3api head-object --bucket "$2" --key "$3" "${@:4}" --query ReplicationStatus --output text; }
# wait_status SIDE BUCKET KEY WANT [head args]: polls up to 20 s; prints the last status.
wait_status() {
	local s=
	for _ in $(seq 100); do
		s=$(status "$1" "$2" "$3" "${@:5}")
		[ "$s" = "$4" ] && break
		sleep 0.2
	done
	echo "$s"
}

ACCOUNT=$(tokyo sts get-caller-identity --query Account --output text)
expect "one account on both sides" "$ACCOUNT" "$(osaka sts get-caller-identity --query Account --output text)"
tokyo s3api create-bucket --bucket s3-bucket-tokyo --create-bucket-configuration LocationConstraint=ap-northeast-1 >/dev/null
osaka s3api create-bucket --bucket s3-bucket-osaka --create-bucket-configuration LocationConstraint=ap-northeast-3 >/dev/null
out=$(osaka s3api create-bucket --bucket s3-bucket-tokyo --create-bucket-configuration LocationConstraint=ap-northeast-3)
case "$out" in *BucketAlreadyExists*) pass "bucket names are unique across the pair" ;; *) fail "bucket names are unique across the pair" "$out" ;; esac
tokyo s3api put-bucket-versioning --bucket s3-bucket-tokyo --versioning-configuration Status=Enabled >/dev/null
osaka s3api put-bucket-versioning --bucket s3-bucket-osaka --versioning-configuration Status=Enabled >/dev/null

TOKYO_KEY=$(tokyo kms create-key --description "tokyo bucket key" --query KeyMetadata.Arn --output text)
OSAKA_KEY=$(osaka kms create-key --description "osaka bucket key" --query KeyMetadata.Arn --output text)
case "$TOKYO_KEY,$OSAKA_KEY" in arn:aws:kms:ap-northeast-1:*,arn:aws:kms:ap-northeast-3:*) pass "KMS keys are regional" ;; *) fail "KMS keys are regional" "$TOKYO_KEY $OSAKA_KEY" ;; esac

cat >"$WORK/trust.json" <<'JSON'
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"sts:AssumeRole"}]}
JSON
# policy SRC DST SRCKEY DSTKEY [KMS-ENCRYPT-ACTIONS]: seed 004's permission policy.
policy() {
	cat <<JSON
{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["s3:GetReplicationConfiguration","s3:ListBucket"],"Resource":["arn:aws:s3:::$1"]},
 {"Effect":"Allow","Action":["s3:GetObjectVersionForReplication","s3:GetObjectVersionAcl","s3:GetObjectVersionTagging"],"Resource":["arn:aws:s3:::$1/*"]},
 {"Effect":"Allow","Action":["s3:ReplicateObject","s3:ReplicateDelete","s3:ReplicateTags"],"Resource":"arn:aws:s3:::$2/*"},
 {"Effect":"Allow","Action":["kms:Decrypt"],"Resource":["$3"]},
 {"Effect":"Allow","Action":[${5:-\"kms:Encrypt\",\"kms:GenerateDataKey\"}],"Resource":["$4"]}]}
JSON
}
policy s3-bucket-tokyo s3-bucket-osaka "$TOKYO_KEY" "$OSAKA_KEY" >"$WORK/t2o.json"
policy s3-bucket-osaka s3-bucket-tokyo "$OSAKA_KEY" "$TOKYO_KEY" >"$WORK/o2t.json"
# IAM is the primary's (tokyo); osaka refuses IAM writes and follows.
T2O=$(tokyo iam create-role --role-name replication-tokyo-to-osaka --assume-role-policy-document "file://$WORK/trust.json" --query Role.Arn --output text)
O2T=$(tokyo iam create-role --role-name replication-osaka-to-tokyo --assume-role-policy-document "file://$WORK/trust.json" --query Role.Arn --output text)
tokyo iam put-role-policy --role-name replication-tokyo-to-osaka --policy-name replication --policy-document "file://$WORK/t2o.json" >/dev/null
tokyo iam put-role-policy --role-name replication-osaka-to-tokyo --policy-name replication --policy-document "file://$WORK/o2t.json" >/dev/null
out=$(osaka iam create-role --role-name nope --assume-role-policy-document "file://$WORK/trust.json")
case "$out" in *"primary's endpoint"*) pass "osaka refuses IAM writes and names the primary" ;; *) fail "osaka refuses IAM writes and names the primary" "$out" ;; esac
seen=
for _ in $(seq 50); do
	seen=$(osaka iam get-role-policy --role-name replication-osaka-to-tokyo --policy-name replication --query PolicyName --output text)
	[ "$seen" = replication ] && break
	sleep 0.2
done
expect "osaka sees the roles made at tokyo" replication "$seen"

# config SRC-ROLE DST DSTKEY: both buckets replicate everything, KMS objects included.
config() {
	cat <<JSON
{"Role":"$1","Rules":[{"ID":"all","Priority":1,"Status":"Enabled","Filter":{},
 "DeleteMarkerReplication":{"Status":"Enabled"},
 "SourceSelectionCriteria":{"SseKmsEncryptedObjects":{"Status":"Enabled"}},
 "Destination":{"Bucket":"arn:aws:s3:::$2","EncryptionConfiguration":{"ReplicaKmsKeyID":"$3"}}}]}
JSON
}
config "$T2O" s3-bucket-osaka "$OSAKA_KEY" >"$WORK/t.json"
config "$O2T" s3-bucket-tokyo "$TOKYO_KEY" >"$WORK/o.json"
expect "put-bucket-replication at tokyo (destination at osaka)" "" "$(tokyo s3api put-bucket-replication --bucket s3-bucket-tokyo --replication-configuration "file://$WORK/t.json")"
expect "put-bucket-replication at osaka (destination at tokyo)" "" "$(osaka s3api put-bucket-replication --bucket s3-bucket-osaka --replication-configuration "file://$WORK/o.json")"

echo "test text" >"$WORK/test.txt"
SSE_CUSTOMER_KEY=$(openssl rand -hex 16)
for s in tokyo osaka; do
	if [ $s = tokyo ]; then src=s3-bucket-tokyo dst=s3-bucket-osaka other=osaka srckey=$TOKYO_KEY dstkey=$OSAKA_KEY
	else src=s3-bucket-osaka dst=s3-bucket-tokyo other=tokyo srckey=$OSAKA_KEY dstkey=$TOKYO_KEY; fi
	side $s s3api put-object --bucket $src --key sse-s3.txt --body "$WORK/test.txt" --server-side-encryption AES256 >/dev/null
	side $s s3api put-object --bucket $src --key sse-kms.txt --body "$WORK/test.txt" --server-side-encryption aws:kms --ssekms-key-id "$srckey" >/dev/null
	side $s s3api put-object --bucket $src --key dsse-kms.txt --body "$WORK/test.txt" --server-side-encryption aws:kms:dsse --ssekms-key-id "$srckey" >/dev/null
	side $s s3 cp "$WORK/test.txt" "s3://$src/sse-c.txt" --sse-c AES256 --sse-c-key "$SSE_CUSTOMER_KEY" >/dev/null
	for k in sse-s3 sse-kms dsse-kms; do
		expect "$s $k: source COMPLETED" COMPLETED "$(wait_status $s $src $k.txt COMPLETED)"
		expect "$s $k: replica at $other is REPLICA" REPLICA "$(status $other $dst $k.txt)"
		expect "$s $k: replica's bytes" "test text" "$(side $other s3 cp "s3://$dst/$k.txt" -)"
	done
	expect "$s sse-s3: replica is SSE-S3" AES256 "$(side $other s3api head-object --bucket $dst --key sse-s3.txt --query ServerSideEncryption --output text)"
	expect "$s sse-kms: replica under the destination's key" "aws:kms $dstkey" "$(side $other s3api head-object --bucket $dst --key sse-kms.txt --query '[ServerSideEncryption,SSEKMSKeyId]' --output text | tr '\t' ' ')"
	expect "$s dsse-kms: replica under the destination's key" "aws:kms:dsse $dstkey" "$(side $other s3api head-object --bucket $dst --key dsse-kms.txt --query '[ServerSideEncryption,SSEKMSKeyId]' --output text | tr '\t' ' ')"
	ssec=(--sse-customer-algorithm AES256 --sse-customer-key "$SSE_CUSTOMER_KEY")
	expect "$s sse-c: source COMPLETED" COMPLETED "$(wait_status $s $src sse-c.txt COMPLETED "${ssec[@]}")"
	expect "$s sse-c: replica is REPLICA" REPLICA "$(status $other $dst sse-c.txt "${ssec[@]}")"
	side $other s3 cp "s3://$dst/sse-c.txt" "$WORK/back-$s.txt" --sse-c AES256 --sse-c-key "$SSE_CUSTOMER_KEY" >/dev/null
	expect "$s sse-c: replica read with the customer's key" "test text" "$(cat "$WORK/back-$s.txt" 2>/dev/null)"
	out=$(side $other s3api head-object --bucket $dst --key sse-c.txt)
	case "$out" in *ERROR*400*) pass "$s sse-c: replica needs the key" ;; *) fail "$s sse-c: replica needs the key" "$out" ;; esac
done

# No loop: each bucket has its 4 objects and the other side's 4 replicas, one version each.
for b in tokyo:s3-bucket-tokyo osaka:s3-bucket-osaka; do
	expect "${b#*:}: 8 versions, no loop" 8 "$(side ${b%%:*} s3api list-object-versions --bucket ${b#*:} --query 'length(Versions)' --output text)"
done

# A delete marker replicates (DeleteMarkerReplication Enabled).
tokyo s3api delete-object --bucket s3-bucket-tokyo --key sse-s3.txt >/dev/null
dm=
for _ in $(seq 100); do
	dm=$(osaka s3api list-object-versions --bucket s3-bucket-osaka --prefix sse-s3.txt --query 'length(DeleteMarkers)' --output text)
	[ "$dm" = 1 ] && break
	sleep 0.2
done
expect "delete marker replicated to osaka" 1 "$dm"

# A missing permission: without kms:Encrypt on osaka's key, SSE-KMS fails.
policy s3-bucket-tokyo s3-bucket-osaka "$TOKYO_KEY" "$OSAKA_KEY" '"kms:GenerateDataKey"' >"$WORK/t2o-no-encrypt.json"
tokyo iam put-role-policy --role-name replication-tokyo-to-osaka --policy-name replication --policy-document "file://$WORK/t2o-no-encrypt.json" >/dev/null
sleep 3 # osaka applies IAM changes within its sync interval (2 s)
tokyo s3api put-object --bucket s3-bucket-tokyo --key denied.txt --body "$WORK/test.txt" --server-side-encryption aws:kms --ssekms-key-id "$TOKYO_KEY" >/dev/null
expect "without kms:Encrypt at osaka: FAILED" FAILED "$(wait_status tokyo s3-bucket-tokyo denied.txt FAILED)"
expect "no replica of the failed version" "" "$(osaka s3api list-object-versions --bucket s3-bucket-osaka --prefix denied.txt --query 'Versions[].VersionId' --output text | sed 's/^None$//')"
grep -q 'kms:Encrypt' "$WORK/pair/osaka/audit/"* 2>/dev/null && pass "osaka's audit trail names the denied kms:Encrypt" || fail "osaka's audit trail names the denied kms:Encrypt" "$(ls "$WORK/pair/osaka")"

echo
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
