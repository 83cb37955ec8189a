# Shared set-up for the aws CLI end-to-end scripts (e2e-iam.sh, e2e-sse.sh);
# sourced, not run (and not named e2e-*.sh, so .ci/run does not run it).
# The caller sets ROOT_AK and ROOT_SK, the root credentials, then sources
# this file and calls start_server [extra server flags...].
#
# Sets ROOT (the repository), WORK (a temporary directory removed on exit
# unless KEEP_WORK is set), KURA_BIN (built from ROOT unless given), a
# clean aws CLI environment with the root credentials, and the check
# helpers pass, fail, expect and a (aws CLI against $URL).
#
# Against a running deployment instead of a fresh server (a cluster from
# scripts/cluster.sh, docs/scale-out.md): set KURA_ENDPOINT (its URL),
# KURA_ENDPOINT_ACCESS_KEY and KURA_ENDPOINT_SECRET_KEY (its root
# credentials, which replace the script's), KURA_ENDPOINT_CA (the CA
# bundle for an https endpoint) and KURA_CLUSTER_DIR (where
# collect_server_files finds the nodes' logs and audit trails);
# cluster.sh prints all of them. start_server then starts nothing and its
# flags are ignored: the deployment must run with what the script needs
# (cluster.sh starts nodes with --allow-insecure-sse-c, or
# KURA_CLUSTER_TLS=1 for HTTPS).

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kura-$(basename "$0" .sh).XXXXXX")
SERVER_PID=
cleanup() {
	[ -z "$SERVER_PID" ] || { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; }
	[ -n "${KEEP_WORK:-}" ] && echo "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

if [ -n "${KURA_ENDPOINT:-}" ]; then
	ROOT_AK=${KURA_ENDPOINT_ACCESS_KEY:?KURA_ENDPOINT needs KURA_ENDPOINT_ACCESS_KEY}
	ROOT_SK=${KURA_ENDPOINT_SECRET_KEY:?KURA_ENDPOINT needs KURA_ENDPOINT_SECRET_KEY}
fi
for v in $(compgen -e | grep '^AWS_' || true); do unset "$v"; done
export AWS_ACCESS_KEY_ID=$ROOT_AK AWS_SECRET_ACCESS_KEY=$ROOT_SK
export AWS_DEFAULT_REGION=us-east-1 AWS_PAGER="" AWS_MAX_ATTEMPTS=1
export AWS_CONFIG_FILE=$WORK/config AWS_SHARED_CREDENTIALS_FILE=$WORK/credentials
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
printf '[default]\nregion = us-east-1\n' >"$AWS_CONFIG_FILE"
: >"$AWS_SHARED_CREDENTIALS_FILE"

if [ -z "${KURA_BIN:-}" ]; then
	export PATH=/usr/local/go/bin:$PATH
	(cd "$ROOT" && go build -o "$WORK/kura" ./cmd/kura)
	KURA_BIN=$WORK/kura
fi

# start_server [FLAGS...] starts the server on a fresh data dir in $WORK
# with the root credentials and FLAGS, and sets SERVER_PID and URL; it
# exits the script if the server does not start.
start_server() {
	if [ -n "${KURA_ENDPOINT:-}" ]; then
		URL=$KURA_ENDPOINT
		mkdir -p "$WORK/data/tls"
		if [ -n "${KURA_ENDPOINT_CA:-}" ]; then
			cp "$KURA_ENDPOINT_CA" "$WORK/data/tls/cert.pem"
			export AWS_CA_BUNDLE=$KURA_ENDPOINT_CA
		fi
		echo "   against the running deployment at $URL"
		return
	fi
	KURA_ROOT_ACCESS_KEY=$ROOT_AK KURA_ROOT_SECRET_KEY=$ROOT_SK \
		"$KURA_BIN" server --data "$WORK/data" --listen 127.0.0.1:0 "$@" >"$WORK/server.log" 2>&1 &
	SERVER_PID=$!
	URL=
	for _ in $(seq 200); do
		URL=$(sed -n 's/^Kura is serving S3 at \([^ ]*\).*/\1/p' "$WORK/server.log")
		[ -n "$URL" ] && break
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.05
	done
	[ -n "$URL" ] || { echo "server did not start"; cat "$WORK/server.log"; exit 1; }
}

PASS=0 FAIL=0
pass() { PASS=$((PASS + 1)); printf 'ok   %s\n' "$1"; }
fail() { FAIL=$((FAIL + 1)); printf 'FAIL %s\n     %s\n' "$1" "$2"; }
expect() { if [ "$2" == "$3" ]; then pass "$1"; else fail "$1" "want [$2] got [$3]"; fi; }
a() { aws --endpoint-url "$URL" "$@" 2>"$WORK/err" || echo "ERROR: $(tr '\n' ' ' <"$WORK/err" | tail -c 300)"; }

# collect_server_files: against a running cluster (KURA_CLUSTER_DIR), copy
# its nodes' logs into $WORK/server.log and their audit trails into
# $WORK/data/audit/events.jsonl, where the scripts' checks read a single
# server's; a no-op for a server of the script's own.
collect_server_files() {
	[ -n "${KURA_ENDPOINT:-}" ] && [ -n "${KURA_CLUSTER_DIR:-}" ] || return 0
	mkdir -p "$WORK/data/audit"
	cat "$KURA_CLUSTER_DIR"/node*.log >"$WORK/server.log" 2>/dev/null || true
	cat "$KURA_CLUSTER_DIR"/node*/audit/*.jsonl >"$WORK/data/audit/events.jsonl" 2>/dev/null || true
}
