#!/usr/bin/env bash
# End-to-end test of Kura's accounts, IAM and STS with the real aws CLI:
# `aws iam` creates a user, an access key and an inline policy, the user's
# keys work with `aws s3` and `aws sts get-caller-identity`, `aws sts
# assume-role` issues working temporary credentials, and `kura admin`
# creates a second account whose root sees only its own buckets.
#
# Identity policies are enforced: the user is refused (403 AccessDenied,
# with the message naming the user, the action and the resource) wherever
# its policy does not allow, a role session may do only what its role's
# policy allows, and account B reads account A's bucket only when both A's
# bucket policy and B's user policy allow it.
#
# Usage: scripts/e2e-iam.sh   (or KURA_BIN=/path/to/kura scripts/e2e-iam.sh)
# Ends with "N passed, M failed"; exits 1 if any check failed.
set -euo pipefail

ROOT_AK=AKIAKURAIAME2E000001
ROOT_SK=kura-iam-e2e-secret-00000000000000000000
. "$(dirname "$0")/lib.sh"
start_server

# as AK SK [TOKEN] -- aws … runs the aws CLI with other credentials.
as() {
	local ak=$1 sk=$2 token=${3:-}
	shift 3
	AWS_ACCESS_KEY_ID=$ak AWS_SECRET_ACCESS_KEY=$sk AWS_SESSION_TOKEN=$token a "$@"
}

ACCT=$(a sts get-caller-identity --query Account --output text)
expect "root: sts get-caller-identity" "arn:aws:iam::$ACCT:root" "$(a sts get-caller-identity --query Arn --output text)"
expect "root: iam get-user answers with the root ARN" "arn:aws:iam::$ACCT:root" "$(a iam get-user --query User.Arn --output text)"

# --- a user, its key and its policy -------------------------------------------
expect "iam create-user" "arn:aws:iam::$ACCT:user/e2e/alice" \
	"$(a iam create-user --user-name alice --path /e2e/ --query User.Arn --output text)"
read -r USER_AK USER_SK < <(a iam create-access-key --user-name alice --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
if [[ $USER_AK =~ ^AKIA[A-Z2-7]{16}$ && ${#USER_SK} -eq 40 ]]; then pass "iam create-access-key"; else fail "iam create-access-key" "$USER_AK"; fi

a s3 mb s3://iam-e2e >/dev/null
a s3 mb s3://iam-e2e-other >/dev/null
printf 'hello from iam' >"$WORK/obj"
a s3 cp "$WORK/obj" s3://iam-e2e/obj >/dev/null
a s3 cp "$WORK/obj" s3://iam-e2e-other/obj >/dev/null

cat >"$WORK/policy.json" <<'EOF'
{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"},
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::iam-e2e/*"}
  ]
}
EOF
expect "iam put-user-policy" "" "$(a iam put-user-policy --user-name alice --policy-name read-iam-e2e --policy-document "file://$WORK/policy.json")"
expect "iam get-user-policy returns the document" "s3:GetObject arn:aws:s3:::iam-e2e/*" \
	"$(a iam get-user-policy --user-name alice --policy-name read-iam-e2e --query 'PolicyDocument.Statement[1].[Action,Resource]' --output text | tr '\t' ' ')"
expect "iam list-user-policies" "read-iam-e2e" "$(a iam list-user-policies --user-name alice --query 'PolicyNames[0]' --output text)"
OUT=$(a iam put-user-policy --user-name alice --policy-name bad --policy-document '{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}')
if [[ $OUT == *MalformedPolicyDocument* ]]; then pass "a policy with a Principal is malformed"; else fail "malformed policy" "$OUT"; fi

# --- the user's keys -------------------------------------------------------------
OUT=$(as "$USER_AK" "$USER_SK" "" s3 ls)
if [[ $OUT == *iam-e2e* ]]; then pass "user: aws s3 ls"; else fail "user: aws s3 ls" "$OUT"; fi
expect "user: aws s3 cp from the allowed bucket" "hello from iam" "$(as "$USER_AK" "$USER_SK" "" s3 cp s3://iam-e2e/obj -)"
expect "user: sts get-caller-identity" "arn:aws:iam::$ACCT:user/e2e/alice" \
	"$(as "$USER_AK" "$USER_SK" "" sts get-caller-identity --query Arn --output text)"
OUT=$(as "$USER_AK" "$USER_SK" "" iam create-user --user-name mallory)
if [[ $OUT == *AccessDenied* ]]; then pass "user: iam create-user is refused (no policy allows it)"; else fail "user: iam create-user" "$OUT"; fi

# AUTHZ: the user's policy allows s3:ListAllMyBuckets and s3:GetObject on
# iam-e2e/* only, so each of these answers AccessDenied (403). Refused reads
# use `s3api get-object`: `aws s3 cp` starts with a HEAD, whose 403 has no
# body to show the message.
# refused NAME MESSAGE-PART CMD… runs CMD and expects an AccessDenied whose
# text contains MESSAGE-PART.
refused() {
	local name=$1 want=$2 out
	shift 2
	out=$("$@")
	if [[ $out == *AccessDenied* && $out == *"$want"* ]]; then pass "$name"; else fail "$name" "$out"; fi
}
ALICE=arn:aws:iam::$ACCT:user/e2e/alice
refused "user: GetObject on another bucket is refused" \
	"User: $ALICE is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::iam-e2e-other/obj\" because no identity-based policy allows the s3:GetObject action" \
	as "$USER_AK" "$USER_SK" "" s3api get-object --bucket iam-e2e-other --key obj "$WORK/out"
refused "user: aws s3 cp (PutObject) is refused" "s3:PutObject" as "$USER_AK" "$USER_SK" "" s3 cp "$WORK/obj" s3://iam-e2e/new
refused "user: aws s3 rm (DeleteObject) is refused" "s3:DeleteObject" as "$USER_AK" "$USER_SK" "" s3 rm s3://iam-e2e/obj
refused "user: aws s3 ls s3://bucket (ListBucket) is refused" "s3:ListBucket" as "$USER_AK" "$USER_SK" "" s3 ls s3://iam-e2e
expect "the refused delete left the object" "hello from iam" "$(a s3 cp s3://iam-e2e/obj -)"

# An explicit Deny in a second policy beats the Allow; removing it takes
# effect on the next request.
cat >"$WORK/deny.json" <<'EOF2'
{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::iam-e2e/*"}]}
EOF2
a iam put-user-policy --user-name alice --policy-name deny-read --policy-document "file://$WORK/deny.json" >/dev/null
refused "user: an explicit Deny beats the Allow" "with an explicit deny in an identity-based policy" \
	as "$USER_AK" "$USER_SK" "" s3api get-object --bucket iam-e2e --key obj "$WORK/out"
a iam delete-user-policy --user-name alice --policy-name deny-read >/dev/null
expect "user: reads again once the Deny is deleted" "hello from iam" "$(as "$USER_AK" "$USER_SK" "" s3 cp s3://iam-e2e/obj -)"

# --- a role and assume-role ------------------------------------------------------
cat >"$WORK/trust.json" <<EOF
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::$ACCT:user/e2e/alice"}, "Action": "sts:AssumeRole"}]}
EOF
ROLE_ARN=$(a iam create-role --role-name e2e-role --assume-role-policy-document "file://$WORK/trust.json" --query Role.Arn --output text)
expect "iam create-role" "arn:aws:iam::$ACCT:role/e2e-role" "$ROLE_ARN"
read -r ASSUMED_AK ASSUMED_SK ASSUMED_TOKEN < <(as "$USER_AK" "$USER_SK" "" sts assume-role --role-arn "$ROLE_ARN" \
	--role-session-name e2e-session --duration-seconds 900 \
	--query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)
if [[ $ASSUMED_AK =~ ^ASIA && -n ${ASSUMED_TOKEN:-} ]]; then pass "user: sts assume-role"; else fail "sts assume-role" "$ASSUMED_AK"; fi
expect "session: sts get-caller-identity" "arn:aws:sts::$ACCT:assumed-role/e2e-role/e2e-session" \
	"$(as "$ASSUMED_AK" "$ASSUMED_SK" "$ASSUMED_TOKEN" sts get-caller-identity --query Arn --output text)"
# AUTHZ: the role has no policy yet, so its session may do nothing.
refused "session: the role allows nothing yet" \
	"User: arn:aws:sts::$ACCT:assumed-role/e2e-role/e2e-session is not authorized to perform: s3:PutObject" \
	as "$ASSUMED_AK" "$ASSUMED_SK" "$ASSUMED_TOKEN" s3 cp "$WORK/obj" s3://iam-e2e/by-role
refused "session: aws s3 ls is refused too" "s3:ListAllMyBuckets" as "$ASSUMED_AK" "$ASSUMED_SK" "$ASSUMED_TOKEN" s3 ls
cat >"$WORK/role-policy.json" <<'EOF2'
{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"},
  {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::iam-e2e/by-role"}]}
EOF2
a iam put-role-policy --role-name e2e-role --policy-name write-one --policy-document "file://$WORK/role-policy.json" >/dev/null
OUT=$(as "$ASSUMED_AK" "$ASSUMED_SK" "$ASSUMED_TOKEN" s3 ls)
if [[ $OUT == *iam-e2e* ]]; then pass "session: aws s3 ls once the role allows it"; else fail "session: aws s3 ls" "$OUT"; fi
OUT=$(as "$ASSUMED_AK" "$ASSUMED_SK" "$ASSUMED_TOKEN" s3 cp "$WORK/obj" s3://iam-e2e/by-role)
if [[ $OUT != *ERROR* ]]; then pass "session: the role's PutObject"; else fail "session: the role's PutObject" "$OUT"; fi
OUT=$(as "$ASSUMED_AK" "$ASSUMED_SK" "wrong-token" s3 ls)
if [[ $OUT == *InvalidToken* ]]; then pass "session with a wrong token is refused"; else fail "wrong token" "$OUT"; fi
OUT=$(a sts assume-role --role-arn "$ROLE_ARN" --role-session-name by-root)
if [[ $OUT == *AccessDenied* ]]; then pass "the root may not assume roles"; else fail "root assume-role" "$OUT"; fi

# --- a second account -------------------------------------------------------------
ALT=$(KURA_ROOT_ACCESS_KEY=$ROOT_AK KURA_ROOT_SECRET_KEY=$ROOT_SK "$KURA_BIN" admin --endpoint "$URL" account create \
	--name alt --email alt@example.com --access-key ALTROOTKEY0000000001 --secret-key alt-root-secret-000000000000000000000000 2>&1 || true)
ALT_ID=$(printf '%s' "$ALT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Account"]["AccountId"])' 2>/dev/null || echo "$ALT")
if [[ $ALT_ID =~ ^[0-9]{12}$ && $ALT_ID != "$ACCT" ]]; then pass "kura admin account create"; else fail "kura admin account create" "$ALT"; fi
ALT_AK=ALTROOTKEY0000000001 ALT_SK=alt-root-secret-000000000000000000000000
expect "alt root: sts get-caller-identity" "arn:aws:iam::$ALT_ID:root" "$(as "$ALT_AK" "$ALT_SK" "" sts get-caller-identity --query Arn --output text)"
as "$ALT_AK" "$ALT_SK" "" s3 mb s3://iam-e2e-alt >/dev/null
expect "alt root sees only its bucket" "iam-e2e-alt" "$(as "$ALT_AK" "$ALT_SK" "" s3api list-buckets --query 'Buckets[].Name' --output text)"
# (Only this script's buckets: against a shared deployment, KURA_ENDPOINT, others exist.)
expect "the first root does not see it" "iam-e2e	iam-e2e-other" "$(a s3api list-buckets --query "Buckets[?starts_with(Name, 'iam-e2e')].Name" --output text)"
OUT=$(KURA_ROOT_ACCESS_KEY=$ALT_AK KURA_ROOT_SECRET_KEY=$ALT_SK "$KURA_BIN" admin --endpoint "$URL" account list 2>&1 || true)
if [[ $OUT == *AccessDenied* ]]; then pass "only the first root administers accounts"; else fail "kura admin by another root" "$OUT"; fi
ALT_KEY=$(as "$ALT_AK" "$ALT_SK" "" kms create-key --query KeyMetadata.Arn --output text)
if [[ $ALT_KEY == arn:aws:kms:us-east-1:$ALT_ID:key/* ]]; then pass "alt root: kms create-key in its account"; else fail "alt kms create-key" "$ALT_KEY"; fi

# AUTHZ: across accounts. alt's user reads the first account's bucket only
# when the bucket policy and its own policy both allow it; refusals across
# accounts carry no details.
as "$ALT_AK" "$ALT_SK" "" iam create-user --user-name bob >/dev/null
read -r BOB_AK BOB_SK < <(as "$ALT_AK" "$ALT_SK" "" iam create-access-key --user-name bob --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
refused "alt user: no bucket policy, no access" "Access Denied" as "$BOB_AK" "$BOB_SK" "" s3api get-object --bucket iam-e2e --key obj "$WORK/out"
cat >"$WORK/bucket-policy.json" <<EOF2
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::$ALT_ID:user/bob"},
  "Action": "s3:GetObject", "Resource": "arn:aws:s3:::iam-e2e/*"}]}
EOF2
expect "s3api put-bucket-policy" "" "$(a s3api put-bucket-policy --bucket iam-e2e --policy "file://$WORK/bucket-policy.json")"
expect "s3api get-bucket-policy-status: not public" "False" "$(a s3api get-bucket-policy-status --bucket iam-e2e --query PolicyStatus.IsPublic --output text)"
refused "alt user: the bucket policy alone is not enough" "Access Denied" as "$BOB_AK" "$BOB_SK" "" s3api get-object --bucket iam-e2e --key obj "$WORK/out"
as "$ALT_AK" "$ALT_SK" "" iam put-user-policy --user-name bob --policy-name read-iam-e2e --policy-document "file://$WORK/policy.json" >/dev/null
expect "alt user: reads with both policies" "hello from iam" "$(as "$BOB_AK" "$BOB_SK" "" s3 cp s3://iam-e2e/obj -)"
refused "alt user: writes are still refused" "Access Denied" as "$BOB_AK" "$BOB_SK" "" s3 cp "$WORK/obj" s3://iam-e2e/from-alt
OUT=$(a s3api put-bucket-policy --bucket iam-e2e --policy '{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::iam-e2e/*"}]}')
if [[ $OUT == *MalformedPolicy* ]]; then pass "a bucket policy without Principal is MalformedPolicy"; else fail "malformed bucket policy" "$OUT"; fi
expect "s3api delete-bucket-policy" "" "$(a s3api delete-bucket-policy --bucket iam-e2e)"
refused "alt user: no access once the bucket policy is gone" "Access Denied" as "$BOB_AK" "$BOB_SK" "" s3api get-object --bucket iam-e2e --key obj "$WORK/out"

# --- no secrets in the logs ---------------------------------------------------------
collect_server_files
if grep -qF -e "$USER_SK" -e "$ASSUMED_SK" -e "$ASSUMED_TOKEN" -e "$BOB_SK" -e alt-root-secret "$WORK/server.log" "$WORK"/data/audit/*.jsonl 2>/dev/null; then
	fail "no secrets in the server log or audit log" "found a secret"
else
	pass "no secrets in the server log or audit log"
fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
