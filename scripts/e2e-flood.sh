#!/usr/bin/env bash
# End-to-end test of Kura's connection limits (issue 11): nobody without
# credentials can take the server offline.
#
# A python3 client opens up to 20,000 idle TCP connections to the server
# from 127.0.0.3 (loopback only; Linux routes all of 127/8 to lo) and keeps
# them open. The server holds at most --max-connections-per-client of them
# (default 256) and closes the rest at once; meanwhile the aws CLI, which
# connects from 127.0.0.1, still gets a signed GET through within a bounded
# time. Then an unsigned PUT that trickles its body one byte every 0.5 s
# gets its 403 at once, and its connection is closed.
#
# The flood is sized to what the machine permits: the client needs one
# descriptor per connection, so the script raises `ulimit -n` to the hard
# limit and floods with at most that minus a margin (it says so). The
# server runs with a file limit of 4,096 (SERVER_FILES), far below the
# flood, as it would against a remote attacker whose own limits do not
# matter: it must derive its total cap from that limit (1,322 connections)
# instead of failing accept with "too many open files" for everyone.
#
# Usage: scripts/e2e-flood.sh   (or KURA_BIN=/path/to/kura scripts/e2e-flood.sh)
# Ends with "N passed, M failed"; exits 1 if any check failed. About 15 s.
set -euo pipefail

ROOT_AK=AKIAKURAFLOODE2E0001
ROOT_SK=kura-flood-e2e-secret-000000000000000000
# The server started below inherits the raised limit too.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
. "$(dirname "$0")/lib.sh"

PER_CLIENT=256 # the server's default --max-connections-per-client
WANT=20000
LIMIT=$(ulimit -n)
[ "$LIMIT" = unlimited ] && LIMIT=1048576
read -r PORT_LO PORT_HI </proc/sys/net/ipv4/ip_local_port_range
FLOOD=$((WANT < LIMIT - 256 ? WANT : LIMIT - 256))
PORTS=$((PORT_HI - PORT_LO - 1024))
FLOOD=$((FLOOD < PORTS ? FLOOD : PORTS))
if [ "$FLOOD" -lt $((PER_CLIENT * 4)) ]; then
	echo "the file limit ($LIMIT) allows only $FLOOD connections: too few for a flood over the cap of $PER_CLIENT"
	echo "0 passed, 1 failed"
	exit 1
fi
if [ "$FLOOD" -lt "$WANT" ]; then
	echo "flood sized to $FLOOD connections, not $WANT: open-file limit $LIMIT, local ports $PORT_LO-$PORT_HI"
else
	echo "flood: $FLOOD connections (open-file limit $LIMIT)"
fi

SERVER_FILES=$((LIMIT < 4096 ? LIMIT : 4096))
printf '#!/bin/sh\nulimit -n %s\nexec "%s" "$@"\n' "$SERVER_FILES" "$KURA_BIN" >"$WORK/kura-limited"
chmod +x "$WORK/kura-limited"
KURA_BIN=$WORK/kura-limited start_server
HOSTPORT=${URL#http://}
a s3 mb s3://flood >/dev/null
printf 'served during the flood' >"$WORK/obj"
a s3 cp "$WORK/obj" s3://flood/obj >/dev/null

# flood.py HOST PORT N CAP STATUS STOP opens N connections from 127.0.0.3,
# waits (at most 30 s) until the server has closed all but CAP of them,
# writes "opened N closed C open O extra E" to STATUS (E: "closed" if one
# more connection from 127.0.0.3 is closed at once), and keeps the open
# ones until the file STOP appears (at most 60 s).
cat >"$WORK/flood.py" <<'EOF'
import errno, os, selectors, socket, sys, time

host, port, n, cap = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
status, stop = sys.argv[5], sys.argv[6]
IP_BIND_ADDRESS_NO_PORT = 24  # pick the local port at connect: 4-tuples, not ports, must be unique

def dial():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_IP, IP_BIND_ADDRESS_NO_PORT, 1)
    s.bind(("127.0.0.3", 0))
    s.setblocking(False)
    err = s.connect_ex((host, port))
    if err not in (0, errno.EINPROGRESS):
        s.close()
        return None
    return s

sel = selectors.DefaultSelector()
opened = 0
for _ in range(n):
    s = dial()
    if s is not None:
        sel.register(s, selectors.EVENT_READ)
        opened += 1

# A socket turns readable when the server closes it (EOF or reset) or the
# connection fails; the server never sends anything on an idle one.
closed = 0
deadline = time.time() + 30
while opened - closed > cap and time.time() < deadline:
    for key, _ in sel.select(timeout=0.5):
        s = key.fileobj
        try:
            data = s.recv(1)
        except BlockingIOError:
            continue
        except OSError:
            data = b""
        if data == b"":
            sel.unregister(s)
            s.close()
            closed += 1

extra = "open"
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.3", 0))
s.settimeout(10)
try:
    s.connect((host, port))
    extra = "closed" if s.recv(1) == b"" else "open"
except OSError:
    extra = "closed"
s.close()

with open(status + ".tmp", "w") as f:
    f.write(f"opened {opened} closed {closed} open {opened - closed} extra {extra}\n")
os.rename(status + ".tmp", status)
deadline = time.time() + 60
while not os.path.exists(stop) and time.time() < deadline:
    time.sleep(0.1)
EOF

python3 "$WORK/flood.py" 127.0.0.1 "${HOSTPORT#*:}" "$FLOOD" "$PER_CLIENT" "$WORK/status" "$WORK/stop" &
FLOOD_PID=$!
for _ in $(seq 900); do
	[ -f "$WORK/status" ] && break
	kill -0 "$FLOOD_PID" 2>/dev/null || break
	sleep 0.05
done
if [ ! -f "$WORK/status" ]; then
	fail "flood client" "no status after 45 s"
	touch "$WORK/stop"
	echo "$PASS passed, $FAIL failed"
	exit 1
fi
read -r _ OPENED _ CLOSED _ HELD _ EXTRA <"$WORK/status"
echo "flood from 127.0.0.3: $OPENED connections opened, $CLOSED closed by the server, $HELD held open"
if [ "$OPENED" -ge "$((FLOOD * 9 / 10))" ]; then pass "the flood opened $OPENED of $FLOOD connections"; else fail "flood opened" "$OPENED of $FLOOD"; fi
if [ "$HELD" -le "$PER_CLIENT" ] && [ "$HELD" -gt 0 ]; then
	pass "the server holds $HELD connections from the flooding address (cap $PER_CLIENT)"
else
	fail "connections held from the flooding address" "$HELD, want 1..$PER_CLIENT"
fi
expect "one more connection from the flooding address is closed at once" closed "$EXTRA"

# The signed GET, from 127.0.0.1, while the flood holds its connections.
T0=$(date +%s%N)
GOT=$(timeout 30 aws --endpoint-url "$URL" s3 cp s3://flood/obj - 2>"$WORK/err" || echo "ERROR: $(tail -c 300 "$WORK/err")")
MS=$((($(date +%s%N) - T0) / 1000000))
expect "signed GET from another address during the flood" "served during the flood" "$GOT"
if [ "$MS" -lt 15000 ]; then pass "signed GET answered in ${MS} ms (bound 15 s)"; else fail "signed GET time" "${MS} ms"; fi
kill -0 "$FLOOD_PID" 2>/dev/null && pass "the flood still holds its connections during the GET" || fail "flood client" "exited early"
touch "$WORK/stop"
wait "$FLOOD_PID" || true

# An unsigned PUT trickling 1,000 bytes at one byte every 0.5 s (500 s in
# all) is answered 403 at once and its connection closed within seconds.
OUT=$(python3 - "${HOSTPORT#*:}" <<'EOF'
import socket, sys, threading, time
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(b"PUT /flood/trickle HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\nx")
stop = threading.Event()
def trickle():
    while not stop.wait(0.5):
        try:
            s.send(b"x")
        except OSError:
            return
threading.Thread(target=trickle, daemon=True).start()
t0 = time.time()
resp = b""
try:
    while b"</Error>" not in resp:
        b = s.recv(4096)
        if not b:
            break
        resp += b
except OSError:
    pass
answered = time.time() - t0
closed = False
try:
    while True:
        b = s.recv(4096)
        if not b:
            closed = True
            break
except socket.timeout:
    pass
except OSError:
    closed = True
total = time.time() - t0
stop.set()
status = resp.split(b"\r\n", 1)[0].decode(errors="replace")
print(f"{status}|{'Connection: close' in resp.decode(errors='replace')}|{answered:.1f}|{closed}|{total:.1f}")
EOF
)
IFS='|' read -r STATUS CONNCLOSE ANSWERED CLOSED TOTAL <<<"$OUT"
expect "trickling unsigned PUT is refused" "HTTP/1.1 403 Forbidden" "$STATUS"
if awk "BEGIN{exit !($ANSWERED < 5)}"; then pass "403 after ${ANSWERED} s, not after the body"; else fail "403 time" "$ANSWERED s"; fi
expect "the 403 says Connection: close" True "$CONNCLOSE"
if [ "$CLOSED" = True ] && awk "BEGIN{exit !($TOTAL < 10)}"; then pass "the connection is closed after ${TOTAL} s"; else fail "trickle connection closed" "closed=$CLOSED after $TOTAL s"; fi

kill -0 "$SERVER_PID" 2>/dev/null && pass "the server is still running" || fail "server" "died"
if grep -q "connections refused" "$WORK/server.log"; then pass "the server log warns about refused connections"; else fail "server log" "no 'connections refused' warning"; fi
if grep -q "max connections lowered to fit the file limit" "$WORK/server.log"; then
	pass "the server lowered its total cap to fit its file limit of $SERVER_FILES"
else
	fail "server log" "no note that the total cap was lowered to fit the file limit"
fi
if grep -q "too many open files" "$WORK/server.log"; then fail "server log" "$(grep -m1 'too many open files' "$WORK/server.log")"; else pass "no 'too many open files' in the server log"; fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
