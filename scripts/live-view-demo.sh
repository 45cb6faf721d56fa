#!/bin/bash
# Re-creates the README's 80×24 screen under "The live view" (under `pantap live`) from a
# real run of the built pantap (dist/, `npm run build`; live capture through the
# pantap-live addon), in the manner of test/live/live-view.test.ts:
#   - two lab namespaces joined by one veth pair: lva (10.77.0.2, 10.77.0.3, 10.77.0.4,
#     where `socat` serves 28769/tcp on all three) and lvb (10.77.0.1);
#     `pantap live -i lva --tcp-timeout 5 --udp-timeout 5` runs on lva in a tmux pane of 80×24;
#   - once a second for 12 s the other namespace connects to each of the three addresses on
#     28769 (served: two HA1-style lines, answered), 3978, 5007 and 3389 (closed: refused)
#     and sends an NTPv4 request to 10.77.0.2:123/udp (nothing listens: the kernel answers
#     ICMP port unreachable); IPv6 is off in both namespaces;
#   - OUTDIR/view.txt: the screen 7 s after the traffic stopped (the view's "no packets for
#     7 s"), read with `tmux capture-pane -p` from the pane's alternate screen, where pantap
#     draws it; trailing blanks removed. Then Ctrl-C ends pantap.
#
# Usage (as root): scripts/live-view-demo.sh [OUTDIR]  (default: a new /tmp/pantap-live-view.XXXXXX)
# Needs: ip tmux socat timeout node, and the pantap-live addon built (README, "Set-up").
# Safety: namespaces pantap-lv-a-PID and pantap-lv-b-PID only, joined by one veth pair, no
# host interface, no default route; every program runs under timeout(1) and background ones
# are stopped by PID; the private tmux server (socket pantap-lv-PID) is killed and the
# namespaces are deleted at the end (also on error or Ctrl-C).
set -u
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PANTAP=$REPO/dist/cli/bin.js
[ "$(id -u)" = 0 ] || { echo "live-view-demo.sh: run as root (network namespaces, capture)" >&2; exit 2; }
for c in ip tmux socat timeout node; do
  command -v "$c" >/dev/null || { echo "live-view-demo.sh: $c is missing" >&2; exit 2; }
done
[ -r "$PANTAP" ] || { echo "live-view-demo.sh: $PANTAP is missing: npm run build" >&2; exit 2; }

ME=live-view-demo.sh A=pantap-lv-a-$$ B=pantap-lv-b-$$ TMUX_SOCK=pantap-lv-$$
# shellcheck source=lib/demo-lab.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/demo-lab.sh"
demo_init "${1:-}" pantap-live-view
inB() { ip netns exec $B timeout 10 "$@"; }

# ------------------------------------------------------------------ namespaces
demo_veth lva lvb
for h in 2 3 4; do ip -n $A addr add 10.77.0.$h/24 dev lva; done
ip -n $B addr add 10.77.0.1/24 dev lvb
ip -n $A link set lva up; ip -n $B link set lvb up
sleep 1

# ------------------------------------------------------------------ server (namespace A)
ip netns exec $A timeout 120 socat TCP-LISTEN:28769,reuseaddr,fork SYSTEM:'while read -r l; do echo "ack $l"; done' & PIDS+=($!)
{ printf '\043'; head -c 47 /dev/zero; } > "$T/ntp.bin"   # NTPv4 client request

# ------------------------------------------------------------------ the view
VIEW_CMD="node '$PANTAP' live -i lva --tcp-timeout 5 --udp-timeout 5; sleep 120"
ip netns exec $A tmux -L "$TMUX_SOCK" new-session -d -s view -x 80 -y 24 "$VIEW_CMD" || die "tmux failed"
sleep 2
RUN=()
second() {
  for h in 2 3 4; do
    printf 'HA1 hello fw1 state=active prio=100\nHA1 sync running-config\n' |
      inB socat -t 0.5 - TCP:10.77.0.$h:28769 >/dev/null 2>&1 & RUN+=($!)
    for p in 3978 5007 3389; do inB socat -u /dev/null TCP:10.77.0.$h:$p 2>/dev/null & RUN+=($!); done
  done
  inB socat -u - UDP-SENDTO:10.77.0.2:123 < "$T/ntp.bin" & RUN+=($!)
}
T0=$(date +%s.%N)
sleep_until() { sleep "$(awk -v t="$1" -v n="$(date +%s.%N)" 'BEGIN { d = t - n; printf "%.3f", (d > 0 ? d : 0) }')"; }
for i in $(seq 0 11); do
  sleep_until "$(awk -v a="$T0" -v i="$i" 'BEGIN { printf "%.3f", a + i }')"
  second
done
wait "${RUN[@]}"
awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "live-view-demo.sh: traffic ran %.1f s\n", b - a }' >&2
# 7 s after the last packet: the view says "no packets for 7 s"
for _ in $(seq 1 150); do
  s=$(tmux -L "$TMUX_SOCK" capture-pane -p -t view 2>/dev/null)
  if printf '%s\n' "$s" | grep -q '^no packets for 7 s$'; then
    printf '%s\n' "$s" | sed -e 's/[[:space:]]*$//' | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' > "$OUT/view.txt"
    break
  fi
  sleep 0.1
done
[ -s "$OUT/view.txt" ] || echo "live-view-demo.sh: no screen with \"no packets for 7 s\" was captured" >&2
tmux -L "$TMUX_SOCK" send-keys -t view C-c
sleep 1
echo "live-view-demo.sh: wrote $OUT/view.txt" >&2
