#!/usr/bin/env bash
# Runs the README's shell examples, as written, against a fresh server:
# every ```sh block of README.md, in order, in one bash (later blocks use
# the variables earlier ones set: $E, $KEY, …), with `set -euo pipefail`.
#
# What differs from a reader's terminal, and nothing else:
# - the server is started here (blocks that start one — `go run ./cmd/kura
#   server`, `kura server …` — and the build and test commands are skipped),
#   on a free port: http://127.0.0.1:8420 in the blocks becomes its URL;
# - it runs with --allow-insecure-sse-c, as the README's SSE-C paragraph
#   says a plain-HTTP server must;
# - <printed access key> and <printed secret key> are the root key pair;
# - ./cat.jpg and ./dog.jpg, which the README assumes, are created; the
#   working directory holds the data dir as ./data, as in the README;
# - `kura` is the binary under test.
#
# Usage: scripts/e2e-readme.sh   (KURA_BIN=/path/to/kura to skip the build)
# Prints one line per block and ends with "N passed, M failed".
set -euo pipefail

ROOT_AK=AKIAKURAREADME000001
ROOT_SK=kura-readme-secret-key-00000000000000000
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY # the README exports them itself

command -v aws >/dev/null || { echo "aws CLI not found on PATH" >&2; exit 1; }
start_server --allow-insecure-sse-c
echo "   server at $URL"

mkdir -p "$WORK/bin"
ln -sf "$KURA_BIN" "$WORK/bin/kura"
export PATH=$WORK/bin:$PATH
cd "$WORK"
printf 'not really a cat\n' >cat.jpg
printf 'not really a dog\n' >dog.jpg

# The blocks, as one script (scripts/docblocks.py, shared with e2e-docs.sh):
# each announces itself, and a failing command names its block, line and
# command.
python3 "$ROOT/scripts/docblocks.py" "$ROOT/README.md" --name README \
	--skip-regex '(go run \./cmd/kura server|^\s*kura server\b|^\s*go (test|build|install)\b)' \
	--skip-reason 'starts a server or builds' \
	--sub "http://127.0.0.1:8420=$URL" --sub "<printed access key>=$ROOT_AK" --sub "<printed secret key>=$ROOT_SK" \
	>"$WORK/readme-blocks.sh"

set +e
bash "$WORK/readme-blocks.sh" >"$WORK/readme.out" 2>&1
rc=$?
set -e
cat "$WORK/readme.out"
PASS=$(grep -c '^ok   README block' "$WORK/readme.out" || true)
FAIL=0
if [ "$rc" -ne 0 ]; then
	FAIL=1
	grep '^FAIL' "$WORK/readme.out" >/dev/null || echo "FAIL the README blocks exited $rc"
fi
TOTAL=$(grep -c '^BLOCK=[0-9]' "$WORK/readme-blocks.sh" || true)
[ "$PASS" -eq "$TOTAL" ] || FAIL=$((TOTAL - PASS))
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
