#!/bin/bash
# Re-creates the README's "A live session" (under `pantap live`) from a real run of the
# built pantap (dist/, `npm run build`; live capture through the pantap-live addon):
#   - two lab namespaces joined by one veth pair, lda (10.77.0.1) and ldb (10.77.0.2 and
#     10.77.0.3); `pantap live -i ldb --tcp-timeout 5 --udp-timeout 5` runs on ldb in a
#     tmux pane of 100×45 (room for the whole view: no list is cut);
#   - for about 16 s the other namespace runs twelve rounds: a TLS session to an
#     `openssl s_server` on 10.77.0.2:3978 (valid certificate), HA1-style lines to
#     10.77.0.2:28769, a connection to the closed port 10.77.0.2:3979; every third round
#     (1, 4, 7, 10) also TLS 1.2 to 10.77.0.3:3978, whose certificate expired on 2024-01-01
#     (`s_client -verify_return_error` ends it with a certificate_expired alert), and an NTP
#     request to 10.77.0.2:123/udp where nothing listens (the kernel answers ICMP port
#     unreachable); SSH logins to 10.77.0.2:22 in rounds 1, 4 and 7; HA2 datagrams to
#     10.77.0.2:29281/udp throughout;
#     (IPv6 is off in both namespaces, so the kernels' own ICMPv6 stays out of the screens);
#   - OUTDIR/view.txt: the live view when it says 14 s (or the next frame, when a refresh
#     skips 14), read with tmux capture-pane from the pane's alternate screen, where pantap
#     draws it; OUTDIR/summary.txt: the final summary after Ctrl-C (typed into the pane
#     2 s after the traffic stopped), printed on the main screen once the view is gone, taken
#     from the pane's output stream (pipe-pane) without its colours and escape sequences;
#   - then `pantap live -i ldb -F json --duration 3` while one more round (of the every-third
#     kind, without SSH) runs: OUTDIR/live.json, and OUTDIR/excerpt.json, the README's jq pick.
#
# Usage (as root): scripts/live-demo.sh [OUTDIR]   (default: a new /tmp/pantap-live-demo.XXXXXX)
# Needs: ip tmux openssl socat sshd ssh ssh-keygen jq timeout node, and the pantap-live addon
# built (README, "Set-up").
# Safety: namespaces pantap-ld-a and pantap-ld-b only, joined by one veth pair, no host
# interface, no default route; every program runs under timeout(1) and background ones are
# stopped by PID; the private tmux server (socket pantap-ld-$$) is killed and the namespaces
# are deleted at the end (also on error or Ctrl-C).
set -u
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PANTAP=$REPO/dist/cli/bin.js
[ "$(id -u)" = 0 ] || { echo "live-demo.sh: run as root (network namespaces, capture)" >&2; exit 2; }
for c in ip tmux openssl socat ssh ssh-keygen jq timeout node; do
  command -v "$c" >/dev/null || { echo "live-demo.sh: $c is missing" >&2; exit 2; }
done
SSHD=$(command -v sshd || echo /usr/sbin/sshd)
[ -x "$SSHD" ] || { echo "live-demo.sh: sshd is missing (openssh-server)" >&2; exit 2; }
[ -r "$PANTAP" ] || { echo "live-demo.sh: $PANTAP is missing: npm run build" >&2; exit 2; }

ME=live-demo.sh A=pantap-ld-a B=pantap-ld-b TMUX_SOCK=pantap-ld-$$
# shellcheck source=lib/demo-lab.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/demo-lab.sh"
demo_init "${1:-}" pantap-live-demo
inA() { ip netns exec $A timeout 10 "$@"; }

# ------------------------------------------------------------------ namespaces
demo_veth lda ldb
ip -n $A addr add 10.77.0.1/24 dev lda
ip -n $B addr add 10.77.0.2/24 dev ldb; ip -n $B addr add 10.77.0.3/24 dev ldb
ip -n $A link set lda up; ip -n $B link set ldb up
sleep 1

# ------------------------------------------------------------------ certificates
cat > "$T/ca.cnf" <<EOF
[ ca ]
default_ca = lab
[ lab ]
dir = $T
database = \$dir/index.txt
new_certs_dir = \$dir
serial = \$dir/serial
default_md = sha256
policy = pol
copy_extensions = none
unique_subject = no
[ pol ]
organizationName = optional
commonName = supplied
EOF
: > "$T/index.txt"; echo 1000 > "$T/serial"
mkcert() { # NAME CN CA-ARGS...
  local name=$1 cn=$2; shift 2
  openssl ecparam -name prime256v1 -genkey -noout -out "$T/$name.key" &&
  openssl req -new -key "$T/$name.key" -subj "/O=pantap lab/CN=$cn" -out "$T/$name.csr" &&
  openssl ca -batch -config "$T/ca.cnf" -cert "$T/ca.crt" -keyfile "$T/ca.key" -in "$T/$name.csr" \
      -out "$T/$name.crt" -notext "$@" 2>>"$T/ca.log" >/dev/null
}
openssl ecparam -name prime256v1 -genkey -noout -out "$T/ca.key" &&
openssl req -x509 -new -key "$T/ca.key" -sha256 -days 3650 -subj "/O=pantap lab/CN=pantap lab CA" \
    -out "$T/ca.crt" -set_serial 1 2>/dev/null || die "CA failed"
mkcert pano pano.lab.test -days 398 || die "certificate failed ($T/ca.log)"
mkcert pano-old pano-old.lab.test -startdate 20230101000000Z -enddate 20240101000000Z || die "certificate failed"

# ------------------------------------------------------------------ servers (namespace B)
bg() { ip netns exec $B timeout 120 "$@" & PIDS+=($!); }
bg openssl s_server -accept 10.77.0.2:3978 -cert "$T/pano.crt" -key "$T/pano.key" -rev -quiet </dev/null >/dev/null 2>&1
bg openssl s_server -accept 10.77.0.3:3978 -cert "$T/pano-old.crt" -key "$T/pano-old.key" -rev -quiet </dev/null >/dev/null 2>&1
bg socat TCP-LISTEN:28769,bind=10.77.0.2,reuseaddr,fork SYSTEM:'while read -r l; do echo "ack $l"; done'
bg socat -u UDP-RECV:29281,bind=10.77.0.2 /dev/null
ssh-keygen -q -t ed25519 -N '' -f "$T/ssh_host" && ssh-keygen -q -t ed25519 -N '' -f "$T/id" || die "ssh-keygen failed"
cp "$T/id.pub" "$T/authorized_keys"
cat > "$T/sshd_config" <<EOF
ListenAddress 10.77.0.2
HostKey $T/ssh_host
PidFile none
AuthorizedKeysFile $T/authorized_keys
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
EOF
mkdir -p /run/sshd
bg "$SSHD" -D -e -f "$T/sshd_config" 2>"$T/sshd.log"
{ printf '\043'; head -c 47 /dev/zero; } > "$T/ntp.bin"   # NTPv4 client request
sleep 1

# ------------------------------------------------------------------ client side (namespace A)
tls_ok() { (printf 'hello\n'; sleep 0.2) | inA openssl s_client -connect 10.77.0.2:3978 -CAfile "$T/ca.crt" -verify_return_error -brief >/dev/null 2>&1; }
ha1() { printf 'HA1 hello fw1 state=active prio=100\nHA1 sync running-config\n' | inA socat -t 0.5 - TCP:10.77.0.2:28769,bind=10.77.0.1 >/dev/null; }
closed() { inA socat -u /dev/null TCP:10.77.0.2:3979,bind=10.77.0.1 2>/dev/null; }
tls_expired() { inA openssl s_client -tls1_2 -connect 10.77.0.3:3978 -CAfile "$T/ca.crt" -verify_return_error -brief </dev/null >/dev/null 2>&1; }
ntp() { inA socat -u - UDP-SENDTO:10.77.0.2:123,bind=10.77.0.1 < "$T/ntp.bin"; sleep 0.2; }
ssh_login() {
  inA ssh -F /dev/null -i "$T/id" -b 10.77.0.1 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
      -o BatchMode=yes -o LogLevel=ERROR root@10.77.0.2 true </dev/null || echo "live-demo.sh: SSH login failed ($T/sshd.log)" >&2
}
round() { # N [nossh]
  tls_ok; ha1; closed
  if [ $(($1 % 3)) = 1 ]; then
    tls_expired; ntp
    [ $# -gt 1 ] || [ "$1" -gt 7 ] || ssh_login
  fi
}

# ------------------------------------------------------------------ the live session
VIEW_CMD="node '$PANTAP' live -i ldb --tcp-timeout 5 --udp-timeout 5; echo '[pantap exit '\$?']'; sleep 120"
ip netns exec $B tmux -L "$TMUX_SOCK" new-session -d -s demo -x 100 -y 45 "$VIEW_CMD" || die "tmux failed"
tmux -L "$TMUX_SOCK" pipe-pane -o -t demo "cat >> '$T/pane.raw'"
sleep 1.5
# HA2 datagrams from one socket for the whole traffic phase (one flow)
rm -f "$T/ha2.stop"
( n=0; while [ ! -e "$T/ha2.stop" ]; do n=$((n + 1)); printf 'HA2 session-sync seq=%d\n' $n; sleep 0.1; done ) |
  ip netns exec $A timeout 60 socat -u - UDP-SENDTO:10.77.0.2:29281,bind=10.77.0.1:41281 & PIDS+=($!)
# the view at 14 s is picked up while the rounds run
(
  for _ in $(seq 1 200); do
    # the view is on the pane's alternate screen while pantap runs: capture-pane shows the
    # screen in use, i.e. the view as drawn last (a refresh rewrites it in place, so there is
    # no history to pick from); -a would read the alternate screen once it is no longer shown
    s=$(tmux -L "$TMUX_SOCK" capture-pane -p -t demo 2>/dev/null)
    # the view refreshes a little over once a second, so it may go from 13 s to 15 s
    sec=$(printf '%s\n' "$s" | head -1 | sed -n 's/^pantap live on ldb — \([0-9]*\) s · .*/\1/p')
    case $sec in '') ;; *) [ "$sec" -ge 14 ] && printf '%s\n' "$s" | sed -e 's/[[:space:]]*$//' -e '/^$/d' > "$OUT/view.txt" && exit 0 ;; esac
    sleep 0.1
  done
  exit 1
) & VIEWPID=$! && PIDS+=($VIEWPID)
T0=$(date +%s.%N)
# round N starts at a fixed offset: 1.9 s for a round with the extras, 1.05 s for the others
# (about 16 s in all, whatever the load)
sleep_until() { sleep "$(awk -v t="$1" -v n="$(date +%s.%N)" 'BEGIN { d = t - n; printf "%.3f", (d > 0 ? d : 0) }')"; }
at=$T0
for i in $(seq 1 12); do
  round "$i"
  if [ $((i % 3)) = 1 ]; then at=$(awk -v a="$at" 'BEGIN { printf "%.3f", a + 1.9 }'); else at=$(awk -v a="$at" 'BEGIN { printf "%.3f", a + 1.05 }'); fi
  sleep_until "$at"
done
touch "$T/ha2.stop"
awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "live-demo.sh: traffic ran %.1f s\n", b - a }' >&2
sleep 2
tmux -L "$TMUX_SOCK" send-keys -t demo C-c
wait $VIEWPID || echo "live-demo.sh: no view at 14 s was captured" >&2
for _ in $(seq 1 100); do grep -q '\[pantap exit' "$T/pane.raw" 2>/dev/null && break; sleep 0.1; done
grep -a -q '\[pantap exit 0\]' "$T/pane.raw" || echo "live-demo.sh: pantap live did not exit 0" >&2
cp "$T/pane.raw" "$OUT/pane.raw"
# the summary starts where pantap leaves the alternate screen (ESC [?1049l), on the line the
# view's last row left unfinished: a line break there, then no escape sequences, no colours
sed -e 's/\x1b\[?1049l/\n/g' "$T/pane.raw" | sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\r$//' |
  sed -n '/^\(\^C\)*Interface  /,/^\[pantap exit/p' | sed -e 's/^\(\^C\)*Interface  /Interface  /' -e '/^\[pantap exit/d' -e 's/[[:space:]]*$//' > "$OUT/summary.txt"
[ -s "$OUT/summary.txt" ] || echo "live-demo.sh: no final summary found in the pane's output ($OUT/pane.raw)" >&2
tmux -L "$TMUX_SOCK" kill-server 2>/dev/null

# ------------------------------------------------------------------ JSON, 3 s
sleep 1
ip netns exec $B timeout 20 node "$PANTAP" live -i ldb -F json --duration 3 > "$OUT/live.json" & JPID=$!
sleep 0.8
round 1 nossh
wait $JPID || echo "live-demo.sh: pantap live -F json failed" >&2
jq '{
  schema,
  entries: [.entries[] | select(.id == "panorama.device-mgmt.3978")
    | {id, flows, failed, status,
       pairs: [.pairs[] | {client, server, flows, failed, status}],
       failures: [.failures[] | {client, server, reason, state, flows}]}],
  flows: [.flows[] | select(.reason == "tls-alert")
    | {client, server, serverPort, state, entries, app, verdict, reason, detail,
       tcp: {connState: .tcp.connState, history: .tcp.history},
       tls: {version: .tls.version, established: .tls.established,
             alert: (.tls.alert | {level, description, from, encrypted}),
             serverCertificate: (.tls.serverCertificate | {subject, notAfter, daysLeft})}}],
  capture
}' "$OUT/live.json" > "$OUT/excerpt.json" || echo "live-demo.sh: jq failed" >&2
echo "live-demo.sh: wrote $OUT/view.txt, summary.txt, live.json, excerpt.json" >&2
