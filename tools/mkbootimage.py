#!/usr/bin/env python3
"""Pack user programs into the boot image the kernel links in.

Usage: mkbootimage.py OUT.bin OUT.S NAME=ELF...   (the first is the root task)

Layout (include/abi/bootinfo.h): magic, count, then per program a 48-byte
name, offset and size; each program's ELF starts on a 4 KiB boundary."""
import os
import struct
import sys

MAGIC = 0x474D49544F4F42
ENTRY = struct.Struct("<48sQQ")


def main():
    out_bin, out_s, progs = sys.argv[1], sys.argv[2], sys.argv[3:]
    blobs = []
    for p in progs:
        name, path = p.split("=", 1)
        with open(path, "rb") as f:
            blobs.append((name.encode(), f.read()))
    header_size = 16 + ENTRY.size * len(blobs)
    offset = (header_size + 4095) & ~4095
    header = struct.pack("<QQ", MAGIC, len(blobs))
    body = b""
    for name, data in blobs:
        header += ENTRY.pack(name, offset, len(data))
        pad = (len(data) + 4095) & ~4095
        body += data + b"\0" * (pad - len(data))
        offset += pad
    header += b"\0" * (((header_size + 4095) & ~4095) - len(header))
    with open(out_bin, "wb") as f:
        f.write(header + body)
    with open(out_s, "w") as f:
        f.write('\t.section .bootimage, "a"\n\t.incbin "%s"\n' % os.path.abspath(out_bin))


main()
