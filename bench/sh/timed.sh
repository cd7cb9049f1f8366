#!/usr/bin/env bash
# The clock of `bench/run fast` for everything started from a shell: the baselines (the raw tools)
# and Berth's CLI. Bash times each step itself with EPOCHREALTIME, so starting this script is
# outside the clock and every timed command is started by bash, as a user's shell would.
# Prints one line per timed step: its wall time in microseconds.
#
#   timed.sh run CMD [ARG...]            CMD's wall time (its stdout is discarded; a failure fails)
#   timed.sh loop-cycle IMAGE DIR SIZE   four lines, the raw loop-device sequence Berth replaces:
#       first mount   truncate -s SIZE; losetup -f --show; mkfs.ext4 -q; mount -t ext4
#       unmount       umount; losetup -d
#       re-mount      losetup -f --show; mount -t ext4
#       unmount       umount; losetup -d
#     then IMAGE is removed. DIR must exist and be empty.
#   timed.sh csi-cycle IMAGE DIR TARGET SIZE   six lines, the raw host work of a CSI lifecycle:
#       create     truncate -s SIZE
#       stage      losetup -f --show; mkfs.ext4 -q; mount -t ext4 (at DIR)
#       publish    mount --bind DIR TARGET
#       unpublish  umount TARGET
#       unstage    umount DIR; losetup -d
#       delete     rm IMAGE
#     DIR and TARGET must exist and be empty.
#   timed.sh frozen-copy MOUNT MODE IMAGE COPY   one line, a consistent copy of a mounted image with
#       the raw tools: fsfreeze -f MOUNT; cp MODE IMAGE COPY; sync COPY (fsync); fsfreeze -u MOUNT
#     (thawed also when the copy fails)
#   timed.sh grow IMAGE DEVICE BY FS MOUNT   one line, the raw online expansion of a mounted image:
#       truncate -s +BY IMAGE; losetup -c DEVICE; resize2fs DEVICE (FS ext4) or xfs_growfs -d MOUNT (xfs)
set -euo pipefail
# Digits only: EPOCHREALTIME's separator follows the locale.
now() { t=${EPOCHREALTIME//[!0-9]/}; }

case "${1:-}" in
  run)
    shift
    now; t0=$t
    "$@" >/dev/null
    now; echo $((t - t0))
    ;;
  loop-cycle)
    img=$2 dir=$3 size=$4
    now; t0=$t
    truncate -s "$size" "$img"
    dev=$(losetup -f --show "$img")
    mkfs.ext4 -q "$dev"
    mount -t ext4 "$dev" "$dir"
    now; t1=$t
    umount "$dir"
    losetup -d "$dev"
    now; t2=$t
    dev=$(losetup -f --show "$img")
    mount -t ext4 "$dev" "$dir"
    now; t3=$t
    umount "$dir"
    losetup -d "$dev"
    now; t4=$t
    rm -f "$img"
    echo $((t1 - t0)); echo $((t2 - t1)); echo $((t3 - t2)); echo $((t4 - t3))
    ;;
  csi-cycle)
    img=$2 dir=$3 target=$4 size=$5
    now; t0=$t
    truncate -s "$size" "$img"
    now; t1=$t
    dev=$(losetup -f --show "$img")
    mkfs.ext4 -q "$dev"
    mount -t ext4 "$dev" "$dir"
    now; t2=$t
    mount --bind "$dir" "$target"
    now; t3=$t
    umount "$target"
    now; t4=$t
    umount "$dir"
    losetup -d "$dev"
    now; t5=$t
    rm -f "$img"
    now; t6=$t
    echo $((t1 - t0)); echo $((t2 - t1)); echo $((t3 - t2)); echo $((t4 - t3)); echo $((t5 - t4)); echo $((t6 - t5))
    ;;
  frozen-copy)
    mnt=$2 mode=$3 img=$4 copy=$5
    now; t0=$t
    fsfreeze -f "$mnt"
    trap 'fsfreeze -u "$mnt"' EXIT
    cp "$mode" "$img" "$copy"
    sync "$copy"
    trap - EXIT
    fsfreeze -u "$mnt"
    now; echo $((t - t0))
    ;;
  grow)
    img=$2 dev=$3 by=$4 fs=$5 mnt=$6
    case "$fs" in ext4|xfs) ;; *) echo "grow: FS must be ext4 or xfs, not '$fs'" >&2; exit 2 ;; esac
    now; t0=$t
    truncate -s "+$by" "$img"
    losetup -c "$dev"
    if [ "$fs" = ext4 ]; then resize2fs "$dev" >/dev/null; else xfs_growfs -d "$mnt" >/dev/null; fi
    now; echo $((t - t0))
    ;;
  *)
    echo "usage: timed.sh run CMD [ARG...] | loop-cycle IMAGE DIR SIZE | csi-cycle IMAGE DIR TARGET SIZE" \
      "| frozen-copy MOUNT MODE IMAGE COPY | grow IMAGE DEVICE BY FS MOUNT" >&2
    exit 2
    ;;
esac
