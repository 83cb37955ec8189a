#!/usr/bin/env bash
# End-to-end test of Kura's encryption with the real aws CLI: the built-in
# KMS (`aws kms`), SSE-KMS uploads by alias, SSE-C upload and download
# (seed 004's commands), bucket default encryption with a bucket key, a
# disabled key refusing reads, and UpdateObjectEncryption on the old and the
# current version of a versioned object (seed 000's commands). Runs over HTTPS (self-signed certificate in
# the data dir) because SSE-C needs it.
#
# Usage: scripts/e2e-sse.sh   (or KURA_BIN=/path/to/kura scripts/e2e-sse.sh)
# Ends with "N passed, M failed"; exits 1 if any check failed.
set -euo pipefail

ROOT_AK=AKIAKURASSEE2E000001
ROOT_SK=kura-sse-e2e-secret-000000000000000000000
. "$(dirname "$0")/lib.sh"
start_server --tls-self-signed
export AWS_CA_BUNDLE=$WORK/data/tls/cert.pem

# --- the built-in KMS ---------------------------------------------------------
KEY_ARN=$(a kms create-key --description "e2e key" --query KeyMetadata.Arn --output text)
if [[ $KEY_ARN =~ ^arn:aws:kms:us-east-1:[0-9]{12}:key/[0-9a-f-]{36}$ ]]; then pass "kms create-key returns a key ARN"; else fail "kms create-key" "$KEY_ARN"; fi
expect "kms create-alias" "" "$(a kms create-alias --alias-name alias/e2e --target-key-id "$KEY_ARN")"
expect "kms list-aliases shows the alias" "$KEY_ARN" \
	"$(a kms describe-key --key-id alias/e2e --query KeyMetadata.Arn --output text)"
# Blob arguments go in as files (fileb://), as the aws CLI documents.
printf 'secret data' >"$WORK/plain"
PLAIN=$(base64 <"$WORK/plain")
a kms encrypt --key-id alias/e2e --plaintext "fileb://$WORK/plain" --encryption-context purpose=e2e \
	--query CiphertextBlob --output text | base64 -d >"$WORK/blob"
expect "kms encrypt/decrypt round trip" "$PLAIN" \
	"$(a kms decrypt --ciphertext-blob "fileb://$WORK/blob" --encryption-context purpose=e2e --query Plaintext --output text)"
OUT=$(a kms decrypt --ciphertext-blob "fileb://$WORK/blob" --encryption-context purpose=other --query Plaintext --output text)
if [[ $OUT == *InvalidCiphertextException* ]]; then pass "kms decrypt with another context fails"; else fail "context mismatch" "$OUT"; fi

# --- SSE-KMS with aws s3 cp ------------------------------------------------------
head -c 3000000 /dev/urandom >"$WORK/file"
a s3 mb s3://sse-e2e >/dev/null
a s3 cp "$WORK/file" s3://sse-e2e/kms --sse aws:kms --sse-kms-key-id alias/e2e >/dev/null
expect "head-object: SSE-KMS" "aws:kms	$KEY_ARN" \
	"$(a s3api head-object --bucket sse-e2e --key kms --query '[ServerSideEncryption,SSEKMSKeyId]' --output text)"
a s3 cp s3://sse-e2e/kms "$WORK/kms.out" >/dev/null
expect "SSE-KMS download matches" "$(sha256sum <"$WORK/file")" "$(sha256sum <"$WORK/kms.out")"

# --- SSE-C, as in seed 004 ---------------------------------------------------------
SSE_CUSTOMER_KEY=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
a s3 cp "$WORK/file" s3://sse-e2e/ssec --sse-c AES256 --sse-c-key "$SSE_CUSTOMER_KEY" >/dev/null
a s3 cp s3://sse-e2e/ssec "$WORK/ssec.out" --sse-c AES256 --sse-c-key "$SSE_CUSTOMER_KEY" >/dev/null
expect "SSE-C download matches" "$(sha256sum <"$WORK/file")" "$(sha256sum <"$WORK/ssec.out")"
OUT=$(a s3api head-object --bucket sse-e2e --key ssec)
if [[ $OUT == *"Bad Request"* || $OUT == *400* ]]; then pass "SSE-C object without key: 400"; else fail "SSE-C head without key" "$OUT"; fi
OUT=$(a s3 cp s3://sse-e2e/ssec "$WORK/x" --sse-c AES256 --sse-c-key "$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')")
if [[ $OUT == *Forbidden* || $OUT == *403* ]]; then pass "SSE-C with the wrong key: 403"; else fail "SSE-C wrong key" "$OUT"; fi

# --- bucket default encryption + bucket key -----------------------------------------
a s3api put-bucket-encryption --bucket sse-e2e --server-side-encryption-configuration \
	"{\"Rules\":[{\"ApplyServerSideEncryptionByDefault\":{\"SSEAlgorithm\":\"aws:kms\",\"KMSMasterKeyID\":\"$KEY_ARN\"},\"BucketKeyEnabled\":true}]}" >/dev/null
expect "get-bucket-encryption" "aws:kms	$KEY_ARN	True" \
	"$(a s3api get-bucket-encryption --bucket sse-e2e --query 'ServerSideEncryptionConfiguration.Rules[0].[ApplyServerSideEncryptionByDefault.SSEAlgorithm,ApplyServerSideEncryptionByDefault.KMSMasterKeyID,BucketKeyEnabled]' --output text)"
a s3 cp "$WORK/file" s3://sse-e2e/default >/dev/null
expect "head-object: bucket default applied with a bucket key" "aws:kms	$KEY_ARN	True" \
	"$(a s3api head-object --bucket sse-e2e --key default --query '[ServerSideEncryption,SSEKMSKeyId,BucketKeyEnabled]' --output text)"

# --- a disabled key refuses reads -----------------------------------------------------
a kms disable-key --key-id "$KEY_ARN" >/dev/null
OUT=$(a s3 cp s3://sse-e2e/kms "$WORK/x")
if [[ $OUT == *KMS.DisabledException* || $OUT == *"Bad Request"* ]]; then pass "disabled key: GET fails"; else fail "disabled key" "$OUT"; fi
a kms enable-key --key-id "$KEY_ARN" >/dev/null
a s3 cp s3://sse-e2e/kms "$WORK/kms2.out" >/dev/null
expect "re-enabled key: GET works" "$(sha256sum <"$WORK/file")" "$(sha256sum <"$WORK/kms2.out")"

# --- UpdateObjectEncryption (seed 000): re-key versions without moving data -------------
a s3 mb s3://uoe-e2e >/dev/null
a s3api put-bucket-versioning --bucket uoe-e2e --versioning-configuration Status=Enabled >/dev/null
V1=$(a s3api put-object --bucket uoe-e2e --key doc --body "$WORK/file" --query VersionId --output text)
V2=$(a s3api put-object --bucket uoe-e2e --key doc --body "$WORK/plain" --query VersionId --output text)
KEY2_ARN=$(a kms create-key --description "e2e key 2" --query KeyMetadata.Arn --output text)
V1_PROPS=$(a s3api head-object --bucket uoe-e2e --key doc --version-id "$V1" --query '[ETag,LastModified,ContentLength]' --output text)
expect "update-object-encryption: old version to SSE-KMS" "" \
	"$(a s3api update-object-encryption --bucket uoe-e2e --key doc --version-id "$V1" --object-encryption "SSEKMS={KMSKeyArn=$KEY_ARN}")"
expect "head-object: the old version is SSE-KMS" "aws:kms	$KEY_ARN	None" \
	"$(a s3api head-object --bucket uoe-e2e --key doc --version-id "$V1" --query '[ServerSideEncryption,SSEKMSKeyId,BucketKeyEnabled]' --output text)"
expect "head-object: the current version is untouched" "AES256" \
	"$(a s3api head-object --bucket uoe-e2e --key doc --query ServerSideEncryption --output text)"
expect "update-object-encryption: current version to another key with a bucket key" "" \
	"$(a s3api update-object-encryption --bucket uoe-e2e --key doc --object-encryption "SSEKMS={KMSKeyArn=$KEY2_ARN,BucketKeyEnabled=true}")"
expect "head-object: the current version has the new key and a bucket key" "aws:kms	$KEY2_ARN	True	$V2" \
	"$(a s3api head-object --bucket uoe-e2e --key doc --query '[ServerSideEncryption,SSEKMSKeyId,BucketKeyEnabled,VersionId]' --output text)"
expect "update-object-encryption: old version on to the second key" "" \
	"$(a s3api update-object-encryption --bucket uoe-e2e --key doc --version-id "$V1" --object-encryption "SSEKMS={KMSKeyArn=$KEY2_ARN}")"
expect "head-object: old version keeps ETag, Last-Modified and size" "$V1_PROPS" \
	"$(a s3api head-object --bucket uoe-e2e --key doc --version-id "$V1" --query '[ETag,LastModified,ContentLength]' --output text)"
expect "no version was added" "2" \
	"$(a s3api list-object-versions --bucket uoe-e2e --query 'length(Versions)' --output text)"
a s3api get-object --bucket uoe-e2e --key doc --version-id "$V1" "$WORK/v1.out" >/dev/null
expect "old version reads back intact" "$(sha256sum <"$WORK/file")" "$(sha256sum <"$WORK/v1.out")"
ACCOUNT=$(cut -d: -f5 <<<"$KEY_ARN")
OUT=$(a s3api update-object-encryption --bucket uoe-e2e --key doc --object-encryption "SSEKMS={KMSKeyArn=arn:aws:kms:us-east-1:$ACCOUNT:alias/e2e}")
if [[ $OUT == *InvalidRequest*"require a valid Amazon Web Services KMS key"* ]]; then pass "update-object-encryption refuses an alias ARN"; else fail "alias ARN" "$OUT"; fi
OUT=$(a s3api update-object-encryption --bucket uoe-e2e --key doc --object-encryption "SSEKMS={KMSKeyArn=${KEY_ARN/$ACCOUNT/111122223333}}")
if [[ $OUT == *AccessDenied*"owned by the same account as the bucket"* ]]; then pass "update-object-encryption refuses another account's key"; else fail "cross-account key" "$OUT"; fi
collect_server_files
if grep -q '"eventName":"UpdateObjectEncryption"' "$WORK/data/audit/events.jsonl" && grep -q '"eventName":"ReEncrypt"' "$WORK/data/audit/events.jsonl"; then
	pass "audit log records UpdateObjectEncryption and the KMS re-encryption"
else
	fail "audit log for UpdateObjectEncryption" "no UpdateObjectEncryption or ReEncrypt event"
fi

# --- the audit trail has the KMS events, and no secrets ---------------------------------
EVENTS=$WORK/data/audit/events.jsonl
if grep -q '"eventName":"GenerateDataKey"' "$EVENTS" && grep -q '"invokedBy":"s3.amazonaws.com"' "$EVENTS"; then
	pass "audit log records KMS use on behalf of S3"
else
	fail "audit log" "$(head -c 500 "$EVENTS")"
fi
if grep -q "$SSE_CUSTOMER_KEY" "$EVENTS" "$WORK/server.log" || grep -q "$PLAIN" "$EVENTS"; then
	fail "no secrets in audit log or server log" "found a key or plaintext"
else
	pass "no secrets in audit log or server log"
fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
