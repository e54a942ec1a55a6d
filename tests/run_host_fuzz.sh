#!/usr/bin/env bash
# Fuzz the file server's ext2 code on the host with libFuzzer (clang),
# from a corpus of small images made by mke2fs.
#   tests/run_host_fuzz.sh [libFuzzer options, e.g. -runs=100000 or -max_total_time=60]
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/host-fuzz
mkdir -p "$out/corpus"
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I libsys tests/host/fuzz_ext2.c servers/fs/ext2.c servers/fs/dir.c -o "$out/fuzz_ext2"
if [ ! -f "$out/corpus/seed-4096.img" ]; then
	for b in 1024 2048 4096; do
		d=$(mktemp -d)
		mkdir -p "$d/a/b"
		echo hello > "$d/a/b/file"
		head -c 20000 /dev/zero | tr '\0' 'x' > "$d/big"
		for i in $(seq 1 20); do echo "$i" > "$d/a/n$i"; done
		PATH=$PATH:/sbin:/usr/sbin mke2fs -q -F -t ext2 -b "$b" -N 64 -d "$d" "$out/corpus/seed-$b.img" 256K \
			>/dev/null 2>&1
		rm -rf "$d"
	done
fi
exec "$out/fuzz_ext2" "$out/corpus" -max_len=262144 "$@"
