#!/usr/bin/env bash
# The web console end to end in headless Chromium (internal/console,
# TestConsoleE2E, built with -tags e2e and driven by chromedp): sign in as
# an IAM user, upload a file (multipart, progress bar), see a bucket's
# encryption posture, re-key what does not match (dry run, then the job,
# confirmed), watch the job finish, see the posture change, and find the
# audit events.
#
# The test runs its own server in-process (KURA_BIN is not used).
# KURA_REQUIRE_CHROMIUM=1 is set: without Chromium on PATH this fails, it
# never skips (.ci/run installs Debian's chromium). --screenshots writes
# the pages docs/console.md shows to docs/console/*.png.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
export KURA_REQUIRE_CHROMIUM=1
if [ "${1:-}" = "--screenshots" ]; then
	export KURA_CONSOLE_SCREENSHOTS=$PWD/docs/console
	mkdir -p "$KURA_CONSOLE_SCREENSHOTS"
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
go test -count=1 -tags e2e -run '^TestConsoleE2E$' -v ./internal/console/ 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
passed=$(grep -c '^--- PASS' "$out")
failed=$(grep -c '^--- FAIL' "$out")
skipped=$(grep -c '^--- SKIP' "$out")
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	failed=1 # a build failure or a panic
fi
if [ "$skipped" -ne 0 ]; then
	echo "the console e2e test skipped: it must run here" >&2
	failed=$((failed + skipped))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
