#!/usr/bin/env bash
# Benchmark: `zfssnapper <db> checkage` against a local fake ZFS Storage Appliance, compared in the
# same run with one `curl` of the same REST URL (the floor: one HTTP GET from a fresh process).
# Prints both medians and the ratio checkage/curl (target: under 2x).
#
#   scripts/bench-checkage.sh [ROUNDS] [SNAPSHOTS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-40}
SNAPS=${2:-60}

command -v curl >/dev/null || { echo "bench-checkage: curl is required (apt-get install -y curl)" >&2; exit 2; }
cargo build --release -q -p bins --bin zfssnapper -p storage-fakes --bin zfssa-fake
BIN=target/release

work=$(mktemp -d)
cleanup() { exec 3>&- 4<&- 2>/dev/null || true; [ -n "${FAKE_PID:-}" ] && kill "$FAKE_PID" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# The fake runs until its stdin closes (fd 3 here); its first stdout line says where it listens.
mkfifo "$work/fake.in" "$work/fake.out"
"$BIN/zfssa-fake" --user bench --password bench-secret --pool pool1 --project backup \
  --filesystem orcl --snapshots "$SNAPS" <"$work/fake.in" >"$work/fake.out" &
FAKE_PID=$!
exec 3>"$work/fake.in" 4<"$work/fake.out"
read -r first <&4 || true
URL=${first#listening }
[ "$first" != "$URL" ] || { echo "bench-checkage: the fake did not start: $first" >&2; exit 2; }

cat >"$work/backup.cfg" <<CFG
[generic]
backupdest: $work/backup
storage: zfssa
warningsnapage: 26
criticalsnapage: 32
[zfssa]
url: $URL
pool: pool1
project: backup
[orcl]
dbid: 1
recoverywindow: 2
parallel: 1
snapexpirationdays: 31
CFG
export ZFSSA_USER=bench ZFSSA_PASSWORD=bench-secret BACKUPCONFIG="$work/backup.cfg"
SNAPURL="$URL/api/storage/v1/pools/pool1/projects/backup/filesystems/orcl/snapshots"

now_ns() { date +%s%N; }
run_curl() { curl -sf -u bench:bench-secret -H 'Accept: application/json' "$SNAPURL" -o /dev/null; }
run_check() { "$BIN/zfssnapper" orcl checkage >/dev/null 2>&1; }

# Warm up both (page cache, first connections).
run_curl; run_check || true
: >"$work/curl.ns"; : >"$work/check.ns"
for _ in $(seq "$ROUNDS"); do
  t0=$(now_ns); run_curl; t1=$(now_ns); echo $((t1 - t0)) >>"$work/curl.ns"
  t0=$(now_ns); run_check || true; t1=$(now_ns); echo $((t1 - t0)) >>"$work/check.ns"
done
state=$("$BIN/zfssnapper" orcl checkage 2>/dev/null || true)

median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
mc=$(median "$work/curl.ns"); mz=$(median "$work/check.ns")
echo "checkage output: $state"
awk -v c="$mc" -v z="$mz" -v r="$ROUNDS" -v s="$SNAPS" 'BEGIN {
  printf "rounds=%d snapshots=%d\n", r, s;
  printf "curl (one GET)          median %.2f ms\n", c/1e6;
  printf "zfssnapper checkage     median %.2f ms\n", z/1e6;
  printf "ratio checkage/curl     %.2f (target < 2.00)\n", z/c }'
