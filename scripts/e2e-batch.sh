#!/usr/bin/env bash
# End-to-end test of S3 Batch Operations with the real aws CLI: seed 000's
# use case 1 in its working form. A bucket of SSE-S3 objects is re-keyed to
# SSE-KMS with a bucket key by `aws s3control create-job` with an
# S3UpdateObjectEncryption operation, first from a CSV manifest, then from
# the S3 Inventory report of the bucket; the completion report is read
# back, and the encryption audit is re-run: no SSE-S3 object is left, and
# every object's ETag and Last-Modified are unchanged.
#
# botocore sends S3 Control requests to <account-id>.<endpoint host> even
# with --endpoint-url; without a hosts entry for that name, the script
# sends them through the server itself as an HTTP proxy (HTTP_PROXY), which
# Kura answers like any request (docs/batch-api.md).
#
# Usage: scripts/e2e-batch.sh   (or KURA_BIN=/path/to/kura scripts/e2e-batch.sh)
# Ends with "N passed, M failed"; exits 1 if any check failed.
set -euo pipefail

ROOT_AK=AKIAKURABATCHE2E0001
ROOT_SK=kura-batch-e2e-secret-00000000000000000000
. "$(dirname "$0")/lib.sh"
start_server
ACCOUNT=$(a sts get-caller-identity --query Account --output text)
# s3control: through the server as a proxy, so <account>.127.0.0.1 need not resolve.
c() {
	local cmd=$1
	shift
	env -u NO_PROXY -u no_proxy HTTP_PROXY="$URL" aws --endpoint-url "$URL" s3control "$cmd" --account-id "$ACCOUNT" "$@" 2>"$WORK/err" ||
		echo "ERROR: $(tr '\n' ' ' <"$WORK/err" | tail -c 300)"
}

N=${BATCH_E2E_OBJECTS:-300}
a s3 mb s3://patient-data >/dev/null
a s3 mb s3://batch-manifests >/dev/null
a s3 mb s3://batch-reports >/dev/null
mkdir -p "$WORK/records"
for i in $(seq 1 "$N"); do printf 'record %d\n' "$i" >"$WORK/records/r$i.txt"; done
a s3 cp --recursive --quiet "$WORK/records" s3://patient-data/records/ >/dev/null
printf "odd key\n" >"$WORK/f"
a s3api put-object --bucket patient-data --key "records/space name+plus.txt" --body "$WORK/f" >/dev/null
N=$((N + 1))
a s3api list-objects-v2 --bucket patient-data --query 'Contents[].[Key,ETag,LastModified]' --output text | sort >"$WORK/before"
expect "objects made" "$N" "$(wc -l <"$WORK/before")"
expect "all SSE-S3 before" "AES256" "$(a s3api head-object --bucket patient-data --key records/r1.txt --query ServerSideEncryption --output text)"

KEY_ARN=$(a kms create-key --description "patient data key" --query KeyMetadata.Arn --output text)

# The job's role: trusted by batchoperations.amazonaws.com, allowed S3 and the key.
cat >"$WORK/trust.json" <<JSON
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"batchoperations.s3.amazonaws.com"},"Action":"sts:AssumeRole"}]}
JSON
cat >"$WORK/perm.json" <<JSON
{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion","s3:PutObject","s3:UpdateObjectEncryption","s3:ListBucket","s3:ListBucketVersions"],"Resource":["arn:aws:s3:::*"]},
 {"Effect":"Allow","Action":["kms:GenerateDataKey","kms:Decrypt","kms:Encrypt","kms:ReEncrypt*"],"Resource":"$KEY_ARN"}]}
JSON
ROLE_ARN=$(a iam create-role --role-name BatchOperationsRole --assume-role-policy-document "file://$WORK/trust.json" --query Role.Arn --output text)
a iam put-role-policy --role-name BatchOperationsRole --policy-name batch --policy-document "file://$WORK/perm.json" >/dev/null

# --- seed 000's form: the errors say which values are valid ---------------------
OUT=$(c create-job --operation "{\"S3UpdateObjectEncryption\":{\"ObjectEncryption\":{\"SSEKMS\":{\"KMSKeyArn\":\"$KEY_ARN\",\"BucketKeyEnabled\":true}}}}" \
	--manifest '{"Spec":{"Format":"S3InventoryReport_CSV_20211130"},"Location":{"ObjectArn":"arn:aws:s3:::batch-manifests/x.json","ETag":"x"}}' \
	--report '{"Enabled":false}' --priority 10 --role-arn "$ROLE_ARN" --no-confirmation-required)
if [[ $OUT == *S3InventoryReport_CSV_20161130* ]]; then pass "seed 000's manifest format is refused, naming the valid ones"; else fail "seed manifest format" "$OUT"; fi

# --- a CSV manifest -------------------------------------------------------------------
awk -F'\t' '{ k=$1; gsub(/ /,"%20",k); gsub(/\+/,"%2B",k); print "patient-data," k }' "$WORK/before" >"$WORK/manifest.csv"
ETAG=$(a s3api put-object --bucket batch-manifests --key manifest.csv --body "$WORK/manifest.csv" --query ETag --output text | tr -d '"')
JOB=$(c create-job --operation "{\"S3UpdateObjectEncryption\":{\"ObjectEncryption\":{\"SSEKMS\":{\"KMSKeyArn\":\"$KEY_ARN\",\"BucketKeyEnabled\":true}}}}" \
	--manifest "{\"Spec\":{\"Format\":\"S3BatchOperations_CSV_20180820\",\"Fields\":[\"Bucket\",\"Key\"]},\"Location\":{\"ObjectArn\":\"arn:aws:s3:::batch-manifests/manifest.csv\",\"ETag\":\"$ETAG\"}}" \
	--report '{"Bucket":"arn:aws:s3:::batch-reports","Format":"Report_CSV_20180820","Enabled":true,"Prefix":"batch-operations-reports","ReportScope":"AllTasks"}' \
	--priority 10 --role-arn "$ROLE_ARN" --no-confirmation-required --client-request-token e2e-csv --query JobId --output text)
if [[ $JOB =~ ^[0-9a-f-]{36}$ ]]; then pass "create-job returns a job id"; else fail "create-job" "$JOB"; fi

wait_job() {
	local st
	for _ in $(seq 600); do
		st=$(c describe-job --job-id "$1" --query Job.Status --output text)
		case $st in Complete | Failed | Cancelled | ERROR*) break ;; esac
		sleep 0.2
	done
	echo "$st"
}
# audit BUCKET KEY_ARN BUCKET_KEY prints how many objects of BUCKET are not
# SSE-KMS under KEY_ARN with that bucket-key setting (a HEAD of each, boto3).
audit() {
	python3 - "$URL" "$1" "$2" "$3" <<'PY'
import sys, boto3
url, bucket, key, bk = sys.argv[1:]
s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1")
left = 0
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
    for o in page.get("Contents", []):
        h = s3.head_object(Bucket=bucket, Key=o["Key"])
        if (h.get("ServerSideEncryption"), h.get("SSEKMSKeyId"), str(h.get("BucketKeyEnabled", False))) != ("aws:kms", key, bk):
            left += 1
print(left)
PY
}
wait_suspended() {
	local st
	for _ in $(seq 300); do
		st=$(c describe-job --job-id "$1" --query Job.Status --output text)
		case $st in Suspended | Failed | ERROR*) break ;; esac
		sleep 0.1
	done
	echo "$st"
}
expect "the job completes" "Complete" "$(wait_job "$JOB")"
expect "progress: every task succeeded" "$N	$N	0" \
	"$(c describe-job --job-id "$JOB" --query 'Job.ProgressSummary.[TotalNumberOfTasks,NumberOfTasksSucceeded,NumberOfTasksFailed]' --output text)"
expect "the same token gives the same job" "$JOB" "$(c create-job --operation "{\"S3UpdateObjectEncryption\":{\"ObjectEncryption\":{\"SSEKMS\":{\"KMSKeyArn\":\"$KEY_ARN\",\"BucketKeyEnabled\":true}}}}" \
	--manifest "{\"Spec\":{\"Format\":\"S3BatchOperations_CSV_20180820\",\"Fields\":[\"Bucket\",\"Key\"]},\"Location\":{\"ObjectArn\":\"arn:aws:s3:::batch-manifests/manifest.csv\",\"ETag\":\"$ETAG\"}}" \
	--report '{"Bucket":"arn:aws:s3:::batch-reports","Format":"Report_CSV_20180820","Enabled":true,"Prefix":"batch-operations-reports","ReportScope":"AllTasks"}' \
	--priority 10 --role-arn "$ROLE_ARN" --no-confirmation-required --client-request-token e2e-csv --query JobId --output text)"
if [[ "$(c list-jobs --query 'Jobs[].JobId' --output text)" == *"$JOB"* ]]; then pass "list-jobs lists the job"; else fail "list-jobs" "no $JOB"; fi

# The completion report: manifest.json and result CSVs under job-<id>/.
a s3 cp "s3://batch-reports/batch-operations-reports/job-$JOB/manifest.json" "$WORK/report.json" >/dev/null
expect "report manifest: S3's format" "Report_CSV_20180820" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Format"])' "$WORK/report.json")"
: >"$WORK/results.csv"
for k in $(python3 -c 'import json,sys; print(" ".join(r["Key"] for r in json.load(open(sys.argv[1]))["Results"]))' "$WORK/report.json"); do
	a s3 cp "s3://batch-reports/$k" - >>"$WORK/results.csv"
done
expect "report: one row per object" "$N" "$(wc -l <"$WORK/results.csv")"
expect "report: every row succeeded" "$N" "$(grep -c ',succeeded,200,' "$WORK/results.csv" || true)"

# The audit: no SSE-S3 object left; ETag and Last-Modified unchanged.
expect "audit: no object left off the new key" 0 "$(audit patient-data "$KEY_ARN" True)"
a s3api list-objects-v2 --bucket patient-data --query 'Contents[].[Key,ETag,LastModified]' --output text | sort >"$WORK/after"
expect "ETag and Last-Modified of every object unchanged" "" "$(diff "$WORK/before" "$WORK/after")"

# --- seed 000's use case 1 as written to work: an S3 Inventory manifest ----------------
# A second bucket's inventory report (kura inventory run) is the manifest;
# the job re-keys it under a second key, without a bucket key.
a s3 mb s3://archive-data >/dev/null
mkdir -p "$WORK/scans"
for i in $(seq 1 20); do printf 'scan %d\n' "$i" >"$WORK/scans/s$i.dcm"; done
a s3 cp --recursive --quiet --storage-class DEEP_ARCHIVE "$WORK/scans" s3://archive-data/scans/ >/dev/null
a s3api list-objects-v2 --bucket archive-data --query 'Contents[].[Key,ETag,LastModified,StorageClass]' --output text | sort >"$WORK/before2"
cat >"$WORK/inv-policy.json" <<JSON
{"Version":"2012-10-17","Statement":[{"Sid":"InventoryPolicy","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},
 "Action":"s3:PutObject","Resource":"arn:aws:s3:::batch-manifests/*",
 "Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::archive-data"},"StringEquals":{"aws:SourceAccount":"$ACCOUNT","s3:x-amz-acl":"bucket-owner-full-control"}}}]}
JSON
a s3api put-bucket-policy --bucket batch-manifests --policy "file://$WORK/inv-policy.json" >/dev/null
a s3api put-bucket-inventory-configuration --bucket archive-data --id all --inventory-configuration \
	'{"Id":"all","IsEnabled":true,"IncludedObjectVersions":"Current","Schedule":{"Frequency":"Daily"},"OptionalFields":["Size","ETag","EncryptionStatus","BucketKeyStatus"],"Destination":{"S3BucketDestination":{"Bucket":"arn:aws:s3:::batch-manifests","Prefix":"inventory","Format":"CSV"}}}' >/dev/null
OUT=$("$KURA_BIN" inventory run archive-data all --endpoint "$URL" --access-key "$ROOT_AK" --secret-key "$ROOT_SK" 2>&1 || true)
MANIFEST=$(printf '%s' "$OUT" | grep -o 's3://batch-manifests/[^ ]*manifest.json' | head -n 1 | sed 's|^s3://batch-manifests/||')
if [ -n "$MANIFEST" ]; then pass "kura inventory run delivers a report"; else fail "kura inventory run" "$OUT"; fi
METAG=$(a s3api head-object --bucket batch-manifests --key "$MANIFEST" --query ETag --output text | tr -d '"')
KEY2_ARN=$(a kms create-key --description "archive key" --query KeyMetadata.Arn --output text)
python3 - "$WORK/perm.json" "$KEY2_ARN" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["Statement"][1]["Resource"] = [p["Statement"][1]["Resource"], sys.argv[2]]
json.dump(p, open(sys.argv[1], "w"))
PY
a iam put-role-policy --role-name BatchOperationsRole --policy-name batch --policy-document "file://$WORK/perm.json" >/dev/null
JOB2=$(c create-job --operation "{\"S3UpdateObjectEncryption\":{\"ObjectEncryption\":{\"SSEKMS\":{\"KMSKeyArn\":\"$KEY2_ARN\",\"BucketKeyEnabled\":false}}}}" \
	--manifest "{\"Spec\":{\"Format\":\"S3InventoryReport_CSV_20161130\"},\"Location\":{\"ObjectArn\":\"arn:aws:s3:::batch-manifests/$MANIFEST\",\"ETag\":\"$METAG\"}}" \
	--report '{"Bucket":"arn:aws:s3:::batch-reports","Format":"Report_CSV_20180820","Enabled":true,"Prefix":"batch-operations-reports","ReportScope":"FailedTasksOnly"}' \
	--priority 10 --role-arn "$ROLE_ARN" --query JobId --output text)
expect "a job needing confirmation waits Suspended" "Suspended" "$(wait_suspended "$JOB2")"
expect "update-job-status Ready confirms it" "Ready" "$(c update-job-status --job-id "$JOB2" --requested-job-status Ready --query Status --output text)"
expect "the inventory-manifest job completes" "Complete" "$(wait_job "$JOB2")"
expect "inventory job: every task succeeded" "20	20	0" \
	"$(c describe-job --job-id "$JOB2" --query 'Job.ProgressSummary.[TotalNumberOfTasks,NumberOfTasksSucceeded,NumberOfTasksFailed]' --output text)"
expect "audit: every archived object under the new key" 0 "$(audit archive-data "$KEY2_ARN" False)"
a s3api list-objects-v2 --bucket archive-data --query 'Contents[].[Key,ETag,LastModified,StorageClass]' --output text | sort >"$WORK/after2"
expect "archived objects: ETag, Last-Modified and storage class unchanged" "" "$(diff "$WORK/before2" "$WORK/after2")"

echo
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
