#!/bin/sh
# conformance-on-s3.sh: the s3-tests run of scripts/conformance.sh against
# a Kura whose blobs live in a bucket of a second Kura (--blobs s3://…).
# Arguments go to conformance.sh (e.g. --ratchet); so do its variables
# (CONFORMANCE_DIR, S3TESTS_SRC). Port 19503 must be free.
#
#   CONFORMANCE_DIR=/work/shared/conformance S3TESTS_SRC=/work/s3tests scripts/conformance-on-s3.sh --ratchet
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
backing_pid=""
cleanup() {
	[ -z "$backing_pid" ] || kill "$backing_pid" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
(cd "$here/.." && go build -o "$work/kura" ./cmd/kura)
BAK=backingak BSK=backingsecretkey123456
KURA_ROOT_ACCESS_KEY=$BAK KURA_ROOT_SECRET_KEY=$BSK "$work/kura" server --data "$work/backing" \
	--listen 127.0.0.1:19503 --admin-listen off >"$work/backing.log" 2>&1 &
backing_pid=$!
i=0
until curl -s -o /dev/null http://127.0.0.1:19503/; do
	i=$((i + 1))
	[ $i -lt 200 ] || { cat "$work/backing.log" >&2; echo "the backing Kura did not start" >&2; exit 1; }
	sleep 0.05
done
AWS_ACCESS_KEY_ID=$BAK AWS_SECRET_ACCESS_KEY=$BSK AWS_DEFAULT_REGION=us-east-1 \
	aws --endpoint-url http://127.0.0.1:19503 s3api create-bucket --bucket conf >/dev/null
# The binary conformance.sh runs: `server` gets the s3 blob store and the
# backing Kura's credentials in the AWS environment variables.
cat >"$work/kura-on-s3" <<EOS
#!/bin/sh
if [ "\$1" = server ]; then
	shift
	AWS_ACCESS_KEY_ID=$BAK AWS_SECRET_ACCESS_KEY=$BSK AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \\
		exec "$work/kura" server --blobs "s3://conf/front/?endpoint=http://127.0.0.1:19503&path_style=true&region=us-east-1" "\$@"
fi
exec "$work/kura" "\$@"
EOS
chmod +x "$work/kura-on-s3"
KURA_BIN="$work/kura-on-s3" "$here/conformance.sh" "$@"
