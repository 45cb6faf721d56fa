# Shared by scripts/live-demo.sh and scripts/live-view-demo.sh (sourced, not run): the work
# directories, the cleanup of everything a demo starts, and two lab namespaces joined by one
# veth pair (IPv4 only, so the kernels' own ICMPv6 stays out of the screens). Safety: the
# namespaces are the caller's names only, no host interface, no default route; background
# programs (PIDS), the private tmux server (TMUX_SOCK) and the namespaces go at exit.
# Before sourcing, set: ME (the script's name, for messages), A and B (namespace names),
# TMUX_SOCK. OUT and T (work dir) are set here; OUT is $1 of the caller or a new /tmp dir.

demo_init() { # demo_init OUTARG TMPPREFIX
  OUT=${1:-$(mktemp -d "/tmp/$2.XXXXXX")}
  mkdir -p "$OUT" || exit 2
  T=$(mktemp -d "/tmp/$2-work.XXXXXX") || exit 2
  PIDS=()
  trap demo_cleanup EXIT
  trap 'exit 130' INT TERM
}

demo_cleanup() {
  trap - EXIT INT TERM
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  tmux -L "$TMUX_SOCK" kill-server 2>/dev/null
  sleep 0.3
  ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null
  rm -rf "$T"
}

die() { echo "$ME: $*" >&2; exit 1; }

demo_veth() { # demo_veth IF_IN_A IF_IN_B : the two namespaces, joined, links up
  local n
  for n in "$A" "$B"; do ip netns list | grep -qw "^$n" && die "namespace $n exists (another run?)"; done
  ip netns add "$A" && ip netns add "$B" || die "ip netns add failed"
  for n in "$A" "$B"; do ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; done
  ip link add "$1" netns "$A" type veth peer name "$2" netns "$B" || die "veth failed"
  ip -n "$A" link set lo up; ip -n "$B" link set lo up
}
