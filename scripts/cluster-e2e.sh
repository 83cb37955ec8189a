#!/usr/bin/env bash
# cluster-e2e.sh: end-to-end scripts against a fresh 3-node cluster
# (scripts/cluster.sh: one PostgreSQL schema, one shared blob directory, a
# round-robin TCP balancer), destroyed afterwards (schema dropped).
#
# Usage: scripts/cluster-e2e.sh [SCRIPT...]   (default: e2e-sse.sh e2e-awscli.sh)
#   KURA_BIN: the binary (built if unset). Every script runs even if one
#   fails; ends with "N passed, M failed" summed over the scripts' own lines.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=$(mktemp -d "${TMPDIR:-/tmp}/kura-cluster-e2e.XXXXXX")
[ $# -gt 0 ] || set -- e2e-sse.sh e2e-awscli.sh
trap '"$ROOT/scripts/cluster.sh" destroy "$DIR"' EXIT
# The flags e2e-awscli.sh's HTTP round needs (lib.sh scripts ignore them).
ENVS=$("$ROOT/scripts/cluster.sh" "$DIR" 3 -- --restore-delay 6s \
	--website-domain s3-website.localhost --access-log-interval 1s) || exit 1
set -a
eval "$ENVS"
set +a
echo "cluster: $KURA_ENDPOINT in front of $KURA_NODE1_ENDPOINT $KURA_NODE2_ENDPOINT $KURA_NODE3_ENDPOINT, schema $KURA_CLUSTER_SCHEMA"
PASS=0 FAIL=0 RC=0
for s in "$@"; do
	echo "=== $s against the cluster"
	case $s in
	*.py) python3 "$ROOT/scripts/$s" | tee "$DIR/out" ;;
	*) bash "$ROOT/scripts/$s" | tee "$DIR/out" ;;
	esac
	[ "${PIPESTATUS[0]}" -eq 0 ] || RC=1
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$DIR/out" | tail -n 1)
	[ -n "$line" ] || { RC=1; FAIL=$((FAIL + 1)); continue; }
	PASS=$((PASS + ${line%% passed*}))
	f=${line#*, }
	FAIL=$((FAIL + ${f%% failed}))
done
echo "$PASS passed, $FAIL failed"
exit "$RC"
