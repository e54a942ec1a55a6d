#!/usr/bin/env bash
# Fuzz the file server's ext2 code on the host with libFuzzer (clang),
# from a fixed corpus of small images made by mke2fs.
#   tests/run_host_fuzz.sh [libFuzzer options, e.g. -runs=100000 -seed=1 or -max_total_time=60]
# Every run starts from the same seed images (the same bytes every time:
# fixed UUIDs, hash seed and times), what it finds goes to a folder emptied
# first, and it runs without address randomisation (pointers compared in the
# code would steer the mutations), so the same -seed gives the same run.
# In K4_BUILD (default build/): host-fuzz/seeds, host-fuzz/found.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${K4_BUILD:-build}/host-fuzz
mkdir -p "$out"
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I libsys tests/host/fuzz_ext2.c servers/fs/ext2.c servers/fs/dir.c servers/fs/journal.c -o "$out/fuzz_ext2"
if [ ! -f "$out/seeds/seed-4096.img" ]; then
	mkdir -p "$out/seeds"
	for b in 1024 2048 4096; do
		d=$(mktemp -d)
		mkdir -p "$d/a/b"
		echo hello > "$d/a/b/file"
		head -c 20000 /dev/zero | tr '\0' 'x' > "$d/big"
		for i in $(seq 1 20); do echo "$i" > "$d/a/n$i"; done
		find "$d" -exec touch -h -d @1 {} +
		E2FSPROGS_FAKE_TIME=1 PATH=$PATH:/sbin:/usr/sbin mke2fs -q -F -t ext2 -b "$b" -N 64 \
			-U 6b340000-0000-4000-8000-000000000000 \
			-E hash_seed=6b340000-0000-4000-8000-000000000001,root_owner=0:0 \
			-d "$d" "$out/seeds/seed-$b.img" 256K >/dev/null 2>&1
		rm -rf "$d"
	done
fi
if [ ! -f "$out/seeds/seed-ext3.img" ]; then
	# the smallest disk mke2fs gives a journal (2 MiB, 1024 journal blocks),
	# with two transactions in the log for the mount to replay (blocks, then a revoke)
	d=$(mktemp -d)
	echo hello > "$d/file"
	find "$d" -exec touch -h -d @1 {} +
	img="$out/seeds/seed-ext3.img"
	E2FSPROGS_FAKE_TIME=1 PATH=$PATH:/sbin:/usr/sbin mke2fs -q -F -t ext3 -b 1024 -N 64 \
		-U 6b340000-0000-4000-8000-000000000000 \
		-E hash_seed=6b340000-0000-4000-8000-000000000001,root_owner=0:0 -d "$d" "$img" 2M >/dev/null 2>&1
	head -c 2048 /dev/zero | tr '\0' 'j' > "$d/block"
	b=$(PATH=$PATH:/sbin:/usr/sbin debugfs -R "bmap /file 0" "$img" 2>/dev/null)
	printf 'jo\njw -b %s,%s %s\njw -r %s\njc\n' "$b" $((b + 1)) "$d/block" $((b + 1)) |
		E2FSPROGS_FAKE_TIME=1 PATH=$PATH:/sbin:/usr/sbin debugfs -w -f - "$img" >/dev/null 2>&1
	rm -rf "$d"
fi
rm -rf "$out/found"
mkdir -p "$out/found"
exec setarch "$(uname -m)" -R "$out/fuzz_ext2" "$out/found" "$out/seeds" -max_len=2097152 "$@"
