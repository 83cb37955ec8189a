#!/usr/bin/env bash
# Runs the shell examples of docs/*.md, as written, against a fresh server:
# for each doc, every ```sh block in order, in one bash (later blocks use
# what earlier ones set), with `set -euo pipefail`, in a fresh working
# directory next to a fresh server of its own. scripts/e2e-readme.sh does
# the same for README.md; both turn a file into a script with
# scripts/docblocks.py.
#
# Which blocks run is written in the docs themselves:
# - a ```sh block runs, unless the line before it is
#   <!-- e2e-docs: skip (REASON) --> (a long benchmark, a second machine, a
#   long-lived cluster…), which must give its reason;
# - any other info string (```text for output and diagrams, ```go, ```json)
#   is not a shell example and does not run;
# - a block with no info string fails this script: every example says
#   what it is.
# One line per block: ok, skip (with its reason) or FAIL.
#
# What differs from a reader's terminal, and nothing else:
# - the server runs on free ports: 127.0.0.1:8420 (and localhost:8420) in
#   the blocks become its S3 address, 127.0.0.1:8421 its admin address;
#   it runs with --allow-insecure-sse-c, and its data dir is ./data;
# - the reader's setup of the README is done: the aws CLI has the root
#   credentials and region us-east-1, AWS_ENDPOINT_URL names the server
#   (for kura's client commands), and the account id is 123456789012, the
#   docs' example account (seeded in data/root-credentials.json);
# - `kura` (and KURA_BIN, for scripts the docs run) is the binary under
#   test, the repository's scripts/ are reachable as ./scripts, and /tmp/
#   in a block is a directory of the run's own;
# - a doc may set up what it assumes its reader has (a bucket, a file, a
#   job role) in a comment <!-- e2e-docs: setup … --> that runs at its
#   place, and restart the test server there with other flags
#   (e2e_stop_server; e2e_start_server FLAGS…), e.g. before `kura fsck`.
#   docs/batch-api.md's setup points HTTP_PROXY at the server for aws
#   s3control's <account-id>.localhost host (the no-root alternative to
#   the /etc/hosts line it describes).
#
# Usage: scripts/e2e-docs.sh [docs/x.md ...]   (KURA_BIN=/path/to/kura to
# skip the build). Ends with "N passed, M failed"; skipped blocks are
# counted on the line before.
set -euo pipefail

ROOT_AK=AKIAKURADOCS00000001
ROOT_SK=kura-docs-secret-key-0000000000000000000
ACCOUNT=123456789012
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
[ -z "${KURA_ENDPOINT:-}" ] || { echo "e2e-docs.sh starts servers of its own; unset KURA_ENDPOINT" >&2; exit 1; }
command -v aws >/dev/null || { echo "aws CLI not found on PATH" >&2; exit 1; }

mkdir -p "$WORK/bin"
ln -sf "$KURA_BIN" "$WORK/bin/kura"
export PATH=$WORK/bin:$PATH

if [ $# -gt 0 ]; then DOCS=("$@"); else DOCS=("$ROOT"/docs/*.md); fi
PASS=0 FAIL=0 SKIP=0
T0=$(date +%s)
for doc in "${DOCS[@]}"; do
	doc=$(cd "$(dirname "$doc")" && pwd)/$(basename "$doc")
	name=docs/$(basename "$doc")
	dir=$WORK/$(basename "$doc" .md)
	mkdir -p "$dir/data"
	gen() { python3 "$ROOT/scripts/docblocks.py" "$doc" --name "$name" --require-info "$@"; }
	gen >"$dir/blocks.sh"
	total=$(grep -c '^BLOCK=[0-9]' "$dir/blocks.sh" || true)
	bad=$(grep -c '^BADBLOCK=' "$dir/blocks.sh" || true)
	SKIP=$((SKIP + $(grep -c "^echo 'skip " "$dir/blocks.sh" || true)))
	if [ "$total" -eq 0 ]; then
		# Nothing to run: the skip lines (and any bad block) only.
		bash "$dir/blocks.sh" || true
		FAIL=$((FAIL + bad))
		continue
	fi
	printf '{"account_id": "%s"}\n' "$ACCOUNT" >"$dir/data/root-credentials.json"
	read -r port admin_port < <(python3 -c 'import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
	URL=http://127.0.0.1:$port
	cat >"$dir/prelude.sh" <<EOF
# e2e-docs.sh: the server, started here so a setup comment can restart it
# (e2e_stop_server; e2e_start_server FLAGS…) on the same ports.
E2E_PID=
e2e_start_server() {
	KURA_ROOT_ACCESS_KEY=$ROOT_AK KURA_ROOT_SECRET_KEY=$ROOT_SK kura server --data ./data \
		--listen 127.0.0.1:$port --admin-listen 127.0.0.1:$admin_port --allow-insecure-sse-c "\$@" >>server.log 2>&1 &
	E2E_PID=\$!
	for _ in \$(seq 300); do
		curl -fsS -o /dev/null http://127.0.0.1:$admin_port/health/ready 2>/dev/null && return 0
		kill -0 "\$E2E_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "FAIL the server did not start:" >&2; tail -n 20 server.log >&2; return 1
}
e2e_stop_server() {
	[ -z "\$E2E_PID" ] || { kill "\$E2E_PID" 2>/dev/null || true; wait "\$E2E_PID" 2>/dev/null || true; }
	E2E_PID=
}
trap e2e_stop_server EXIT
e2e_start_server
EOF
	mkdir -p "$dir/tmp"
	gen --prelude "$dir/prelude.sh" --sub "127.0.0.1:8420=127.0.0.1:$port" --sub "localhost:8420=localhost:$port" \
		--sub "127.0.0.1:8421=127.0.0.1:$admin_port" --sub "/tmp/=$dir/tmp/" >"$dir/blocks.sh"
	ln -s "$ROOT/scripts" "$dir/scripts"
	set +e
	(cd "$dir" && AWS_ENDPOINT_URL=$URL KURA_BIN=$KURA_BIN bash blocks.sh) >"$dir/out" 2>&1
	rc=$?
	set -e
	# Servers a failing block left running from a script of the docs
	# (replication-pair.sh, cluster.sh write DIR/pids).
	for pids in "$dir"/tmp/*/pids; do
		[ -f "$pids" ] || continue
		# shellcheck disable=SC2046
		kill $(cat "$pids") 2>/dev/null || true
	done
	# The ok/skip/FAIL lines; a failing block's own output too.
	grep -E '^(ok|skip|FAIL) ' "$dir/out" || true
	if [ "$rc" -ne 0 ]; then
		echo "     the end of $name's output:"
		grep -v '^== ' "$dir/out" | tail -n 30 | sed 's/^/     | /'
	fi
	ok=$(grep -c '^ok   ' "$dir/out" || true)
	PASS=$((PASS + ok))
	FAIL=$((FAIL + bad + total - ok))
	if [ "$rc" -ne 0 ] && [ "$ok" -eq "$total" ]; then
		FAIL=$((FAIL + 1))
		echo "FAIL $name: exited $rc after its last block"
	fi
	[ "$ok" -eq "$total" ] || echo "     $name: $((total - ok)) of $total blocks did not pass (the first failure stops the doc)"
done
echo "$SKIP blocks skipped (reasons above), $(($(date +%s) - T0))s"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
