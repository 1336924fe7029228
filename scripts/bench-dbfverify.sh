#!/usr/bin/env bash
# Benchmark of `dbfverify`, in one run on this machine:
#  1. a 1 GiB datafile of 8 KiB blocks, warm in the page cache: `cat FILE > /dev/null` (the
#     floor: reading the bytes) against `dbfverify FILE`, ROUNDS rounds; prints both median
#     throughputs and the median per-round ratio dbfverify/cat (target <= 1.15);
#  2. two 1 GiB datafiles, `--jobs 2` against `--jobs 1`: throughput ratio (target >= 1.7 on
#     2 cores);
#  3. peak RSS of `dbfverify` on a 4 GiB datafile (`/usr/bin/time -v`; target < 64 MiB).
# The files are written by the `write_datafile` example and removed at exit.
#
#   scripts/bench-dbfverify.sh [ROUNDS]        (BENCH_DIR=/some/dir to write elsewhere)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-9}

[ -x /usr/bin/time ] || {
  echo "bench-dbfverify: /usr/bin/time is required for the peak RSS (apt-get install -y time)" >&2
  exit 2
}

base=${BENCH_DIR:-${TMPDIR:-/tmp}}
need_kib=$((7 * 1024 * 1024)) # 1 + 1 + 4 GiB of files, and some room
avail_kib=$(df -Pk "$base" | awk 'NR == 2 {print $4}')
if [ "${avail_kib:-0}" -lt "$need_kib" ]; then
  echo "bench-dbfverify: $base has $((avail_kib / 1024)) MiB free, $((need_kib / 1024)) MiB needed (set BENCH_DIR)" >&2
  exit 2
fi

cargo build --release -q -p bins --bin dbfverify
cargo build --release -q -p examples --example write_datafile
BIN=target/release/dbfverify
WRITE=target/release/examples/write_datafile

work=$(mktemp -d "$base/bench-dbfverify.XXXXXX")
cleanup() { rm -rf "$work"; }
trap cleanup EXIT

now_ns() { date +%s%N; }
median() { sort -g "$1" | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
verify_ok() { # runs dbfverify, fails the benchmark if it does not say the files are clean
  "$BIN" "$@" >"$work/out.txt" || { echo "bench-dbfverify: dbfverify $* failed:" >&2; tail -3 "$work/out.txt" >&2; exit 2; }
}

echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
echo "rounds=$ROUNDS, files in $work"

# 1. dbfverify against cat on one warm 1 GiB file.
A="$work/users01.dbf"
"$WRITE" "$A" --size-mib 1024 --block-size 8192 --file-number 4 --seed 1 2>/dev/null
bytes=$(stat -c %s "$A")
cat "$A" >/dev/null
verify_ok "$A"
: >"$work/cat.ns"; : >"$work/dbv.ns"; : >"$work/ratio"
for _ in $(seq "$ROUNDS"); do
  t0=$(now_ns); cat "$A" >/dev/null; t1=$(now_ns)
  verify_ok "$A"; t2=$(now_ns)
  echo $((t1 - t0)) >>"$work/cat.ns"; echo $((t2 - t1)) >>"$work/dbv.ns"
  awk -v c=$((t1 - t0)) -v d=$((t2 - t1)) 'BEGIN {printf "%.4f\n", d / c}' >>"$work/ratio"
done
awk -v b="$bytes" -v c="$(median "$work/cat.ns")" -v d="$(median "$work/dbv.ns")" -v r="$(median "$work/ratio")" 'BEGIN {
  printf "1 GiB, 8 KiB blocks, warm page cache\n";
  printf "  cat FILE > /dev/null     median %7.1f ms  %5.2f GB/s\n", c/1e6, b/c;
  printf "  dbfverify FILE           median %7.1f ms  %5.2f GB/s\n", d/1e6, b/d;
  printf "  ratio dbfverify/cat      %.3f (median of rounds; target <= 1.15)\n", r }'

# 2. --jobs 2 against --jobs 1 on two warm 1 GiB files.
B="$work/users02.dbf"
"$WRITE" "$B" --size-mib 1024 --block-size 8192 --file-number 5 --seed 2 2>/dev/null
cat "$A" "$B" >/dev/null
verify_ok --jobs 2 "$A" "$B"
: >"$work/j1.ns"; : >"$work/j2.ns"
for _ in $(seq "$ROUNDS"); do
  t0=$(now_ns); verify_ok --jobs 1 "$A" "$B"; t1=$(now_ns)
  verify_ok --jobs 2 "$A" "$B"; t2=$(now_ns)
  echo $((t1 - t0)) >>"$work/j1.ns"; echo $((t2 - t1)) >>"$work/j2.ns"
done
awk -v b=$((2 * bytes)) -v j1="$(median "$work/j1.ns")" -v j2="$(median "$work/j2.ns")" 'BEGIN {
  printf "2 x 1 GiB, warm page cache\n";
  printf "  dbfverify --jobs 1       median %7.1f ms  %5.2f GB/s\n", j1/1e6, b/j1;
  printf "  dbfverify --jobs 2       median %7.1f ms  %5.2f GB/s\n", j2/1e6, b/j2;
  printf "  throughput ratio 2/1     %.3f (target >= 1.70)\n", j1/j2 }'
rm -f "$B"

# 3. Peak RSS on a 4 GiB file.
C="$work/users03.dbf"
"$WRITE" "$C" --size-mib 4096 --block-size 8192 --file-number 6 --seed 3 2>/dev/null
/usr/bin/time -v "$BIN" "$C" >"$work/out.txt" 2>"$work/time.txt" || {
  echo "bench-dbfverify: dbfverify on the 4 GiB file failed" >&2; cat "$work/time.txt" >&2; exit 2; }
rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
awk -v k="$rss" 'BEGIN {
  printf "4 GiB file\n";
  printf "  peak RSS                 %.1f MiB (target < 64 MiB)\n", k/1024 }'
echo "  $(tail -1 "$work/out.txt")"
