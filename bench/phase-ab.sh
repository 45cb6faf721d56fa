#!/bin/bash
# usage: bench/phase-ab.sh FILE ROUNDS BUILD... (extra args in $ARGS) -> per build: report wall, report cpu, feed wall, exit, rss MiB
# Alternates whole `analyze` runs of several built checkouts (A B A B …) and prints, per run, the
# phases PANTAP_TIMINGS=1 reports: report = last batch to exit, feed = first to last batch (wall and CPU).
F=$1; R=$2; shift 2
for r in $(seq $R); do for b in "$@"; do
  out=$( { PANTAP_TIMINGS=1 /usr/bin/time -f "rss %M" node $b/dist/cli/bin.js analyze $F $ARGS > /dev/null; } 2>&1 )
  echo "$out" | perl -ne 'if(/first-batch ([\d.]+), last-batch ([\d.]+), exit ([\d.]+); cpu at first-batch ([\d.]+), at last-batch ([\d.]+), at exit ([\d.]+)/){($fb,$lb,$ex,$fc,$lc,$ec)=($1,$2,$3,$4,$5,$6)} if(/^rss (\d+)/){$rss=$1} END{printf "%s report %.0f cpu %.0f feed %.0f feedcpu %.0f exit %.0f rss %d\n","'$b'",$ex-$lb,$ec-$lc,$lb-$fb,$lc-$fc,$ex,$rss/1024}'
done; done
