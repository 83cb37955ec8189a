#!/usr/bin/env bash
# conformance-on-cluster.sh: the s3-tests run of scripts/conformance.sh
# against a 3-node Kura cluster (scripts/cluster.sh: one PostgreSQL schema,
# one shared blob directory, a round-robin TCP balancer) instead of one
# server: every `kura server` conformance.sh starts becomes a fresh
# cluster with the same flags, reached through its balancer.
# Arguments go to conformance.sh (e.g. --ratchet); so do its variables
# (CONFORMANCE_DIR, S3TESTS_SRC). Needs PostgreSQL (scripts/ensure-postgres.sh).
#
#   CONFORMANCE_DIR=/work/shared/conformance S3TESTS_SRC=/work/s3tests scripts/conformance-on-cluster.sh --ratchet
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
(cd "$here/.." && PATH=/usr/local/go/bin:$PATH go build -o "$work/kura" ./cmd/kura)
# The binary conformance.sh runs: `server --data D --listen L FLAGS…`
# starts a cluster in D.cluster with FLAGS, prints the balancer's URL as a
# server's banner, and stops the cluster when conformance.sh stops it.
cat >"$work/kura-cluster" <<EOS
#!/usr/bin/env bash
set -eu
[ "\${1:-}" = server ] || exec "$work/kura" "\$@"
shift
dir= flags=()
while [ \$# -gt 0 ]; do
	case \$1 in
	--data) dir=\$2.cluster; shift 2 ;;
	--listen) shift 2 ;;
	*) flags+=("\$1"); shift ;;
	esac
done
rm -rf "\$dir"
KURA_BIN="$work/kura" "$here/cluster.sh" "\$dir" 3 -- "\${flags[@]}" >"\$dir.env"
echo "Kura is serving S3 at \$(sed -n 's/^KURA_ENDPOINT=//p' "\$dir.env")"
sleep infinity &
sleeper=\$!
trap '"$here/cluster.sh" destroy "\$dir"; kill \$sleeper; exit 0' TERM INT
wait
EOS
chmod +x "$work/kura-cluster"
KURA_BIN="$work/kura-cluster" "$here/conformance.sh" "$@"
