#!/usr/bin/env bash
# Benchmark: `zfssnapper <db> create` with the reflink backend on a loop-mounted XFS (reflink),
# compared in the same run with GNU `cp -a --reflink=always` of the same backup area (the
# floor: the same reflink clones, no record, no fsync, no read-only freeze) and with a full
# `cp -a --reflink=never` (what the fallback costs). Then `zfssnapper <db> list` (space of
# every snapshot through FIEMAP) against `du -s` over the same trees.
# Needs root (loop mount) and xfsprogs.
#
#   scripts/bench-snapshot.sh [ROUNDS] [AREA_MIB]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-7}
AREA_MIB=${2:-1024}

[ "$(id -u)" = 0 ] || { echo "bench-snapshot: needs root (loop-mounted XFS)" >&2; exit 2; }
command -v mkfs.xfs >/dev/null || { echo "bench-snapshot: needs xfsprogs (apt-get install -y xfsprogs)" >&2; exit 2; }
cargo build --release -q -p bins --bin zfssnapper --bin zvolume
BIN=$PWD/target/release

work=$(mktemp -d)
mnt=$work/mnt
cleanup() { umount "$mnt" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
mkdir "$mnt"
truncate -s $(( AREA_MIB * 3 + 2048 ))M "$work/fs.img"
mkfs.xfs -q -f -m reflink=1 "$work/fs.img"
mount -o loop "$work/fs.img" "$mnt"

cat >"$work/backup.cfg" <<CFG
[generic]
backupdest: $mnt/backup
storage: reflink
[orcl]
dbid: 1
recoverywindow: 2
parallel: 1
snapexpirationdays: 0
CFG
export BACKUPCONFIG="$work/backup.cfg"
"$BIN/zvolume" orcl create >/dev/null
# The area: 16 image copies and a directory of archivelogs.
area=$mnt/backup/orcl
mkdir -p "$area/archivelog"
per=$(( AREA_MIB / 16 ))
for i in $(seq 16); do
  head -c "${per}M" /dev/urandom >"$area/data_D-ORCL_I-1_TS-DATA_FNO-${i}_bench"
done
for i in $(seq 20); do head -c 1M /dev/urandom >"$area/archivelog/1_${i}_1.dbf"; done
sync

now_ns() { date +%s%N; }
median() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ms() { awk -v ns="$1" 'BEGIN {printf "%8.1f ms", ns/1e6}'; }
next_second() { local s; s=$(date +%s); while [ "$(date +%s)" = "$s" ]; do sleep 0.05; done; }

: >"$work/cp.ns"; : >"$work/full.ns"; : >"$work/snap.ns"
for r in $(seq "$ROUNDS"); do
  t0=$(now_ns); cp -a --reflink=always "$area" "$mnt/cp$r"; sync -f "$mnt"; t1=$(now_ns)
  echo $((t1 - t0)) >>"$work/cp.ns"
  t0=$(now_ns); cp -a --reflink=never "$area" "$mnt/full"; sync -f "$mnt"; t1=$(now_ns)
  echo $((t1 - t0)) >>"$work/full.ns"
  rm -rf "$mnt/full"
  next_second # snapshot names have one-second resolution
  t0=$(now_ns); "$BIN/zfssnapper" orcl create >/dev/null; t1=$(now_ns)
  echo $((t1 - t0)) >>"$work/snap.ns"
done

: >"$work/list.ns"; : >"$work/du.ns"
for _ in $(seq "$ROUNDS"); do
  t0=$(now_ns); "$BIN/zfssnapper" orcl list >/dev/null; t1=$(now_ns); echo $((t1 - t0)) >>"$work/list.ns"
  t0=$(now_ns); du -s "$area" "$mnt"/backup/.snapshots/orcl/*/ "$mnt"/cp* >/dev/null; t1=$(now_ns)
  echo $((t1 - t0)) >>"$work/du.ns"
done

cp_ns=$(median "$work/cp.ns"); full_ns=$(median "$work/full.ns"); snap_ns=$(median "$work/snap.ns")
list_ns=$(median "$work/list.ns"); du_ns=$(median "$work/du.ns")
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "rounds=$ROUNDS, area ${AREA_MIB} MiB in 36 files, loop-mounted XFS with reflink"
echo "snapshot"
echo "  cp -a --reflink=always    median $(ms "$cp_ns")"
echo "  cp -a --reflink=never     median $(ms "$full_ns")"
echo "  zfssnapper create         median $(ms "$snap_ns")"
awk -v a="$snap_ns" -v b="$cp_ns" 'BEGIN {printf "  ratio create/cp-reflink   %.2f\n", a/b}'
awk -v a="$full_ns" -v b="$snap_ns" 'BEGIN {printf "  full copy is %.0fx slower than create\n", a/b}'
echo "list ($ROUNDS snapshots + $ROUNDS cp copies, space through FIEMAP)"
echo "  du -s of the same trees   median $(ms "$du_ns")"
echo "  zfssnapper list           median $(ms "$list_ns")"
awk -v a="$list_ns" -v b="$du_ns" 'BEGIN {printf "  ratio list/du             %.2f\n", a/b}'
"$BIN/zfssnapper" orcl list | tail -2 | sed 's/^/  /'
