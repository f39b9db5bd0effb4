#!/bin/bash
# The physical limit of a copy: the same content bytes written into a new sparse image of the same size, at the
# partition's offset, by dd, with the same flush (fsync of the image at the end):
#   dd-limit.sh IMG SIZE SRC
# The files are read in name order (find | sort) and streamed through one pipe, so this is the cost of reading
# the source and writing its bytes once, with no filesystem to lay out.
set -euo pipefail
img=$1 size=$2 src=$3
PART_OFFSET=1048576
truncate -s "$size" "$img"
find "$src" -type f -print0 | sort -z | xargs -0 cat \
  | dd of="$img" bs=4M iflag=fullblock seek="$PART_OFFSET" oflag=seek_bytes conv=notrunc,fsync status=none
