#!/usr/bin/env python3
# nonzero.py IMAGE -> JSON {"sizeBytes", "dataBytes", "nonZeroBytes"}
# nonZeroBytes: bytes in 4 KiB blocks that hold at least one non-zero byte, i.e. what a writer that writes
# nothing but non-zero pages must write (the kernel counts write_bytes in pages). Only the data extents are
# read (SEEK_DATA / SEEK_HOLE), so a 16 TiB sparse image costs what its allocated part costs.
import errno
import json
import os
import sys

BLOCK = 4096
CHUNK = 1 << 20
ZERO_CHUNK = bytes(CHUNK)

fd = os.open(sys.argv[1], os.O_RDONLY)
size = os.fstat(fd).st_size
data_bytes = 0
nonzero_blocks = 0
offset = 0
while offset < size:
    try:
        start = os.lseek(fd, offset, os.SEEK_DATA)
    except OSError as e:
        if e.errno == errno.ENXIO:
            break
        raise
    end = os.lseek(fd, start, os.SEEK_HOLE)
    start -= start % BLOCK
    data_bytes += end - start
    pos = start
    while pos < end:
        buf = os.pread(fd, min(CHUNK, end - pos), pos)
        if not buf:
            break
        if buf != ZERO_CHUNK[: len(buf)]:
            for i in range(0, len(buf), BLOCK):
                block = buf[i : i + BLOCK]
                if block.count(0) != len(block):
                    nonzero_blocks += 1
        pos += len(buf)
    offset = end
os.close(fd)
print(json.dumps({"sizeBytes": size, "dataBytes": data_bytes, "nonZeroBytes": nonzero_blocks * BLOCK}))
