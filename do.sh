#!/usr/bin/env bash
# The project's commands. ./do.sh run | test | debug | bench | profile | fuzz
# Each installs what is missing (as root, with apt-get), configures Meson
# and builds with Ninja before it does its job.
set -euo pipefail
cd "$(dirname "$0")"

FIRMWARE=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
PACKAGES="qemu-system-misc gcc-riscv64-linux-gnu opensbi meson ninja-build picolibc-riscv64-unknown-elf
e2fsprogs gdb-multiarch python3-pexpect python3-matplotlib device-tree-compiler clang libclang-rt-14-dev"
PYTHON=/usr/bin/python3

ensure_tools() {
	local missing=""
	command -v qemu-system-riscv64 >/dev/null || missing=1
	command -v riscv64-linux-gnu-gcc >/dev/null || missing=1
	command -v meson >/dev/null || missing=1
	command -v ninja >/dev/null || missing=1
	[ -f "$FIRMWARE" ] || missing=1
	[ -d /usr/lib/picolibc/riscv64-unknown-elf ] || missing=1
	[ -x "$PYTHON" ] || missing=1
	"$PYTHON" -c 'import pexpect' 2>/dev/null || missing=1
	"$PYTHON" -c 'import matplotlib' 2>/dev/null || missing=1
	command -v clang >/dev/null || missing=1
	ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 || missing=1
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" = 0 ]; then
		echo "do.sh: installing packages: $(echo $PACKAGES)" >&2
		DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q $PACKAGES >&2
	else
		echo "do.sh: missing tools; as root run: apt-get install $(echo $PACKAGES)" >&2
		exit 1
	fi
}

# The build folder: build/, or what K4_BUILD names (configured with the
# Meson options in K4_OPTIONS when it is made).
BUILD=${K4_BUILD:-build}

build() {   # build [FOLDER [MESON OPTIONS]]
	local dir=${1:-$BUILD}; shift || true
	ensure_tools
	if [ ! -f "$dir/build.ninja" ]; then
		# shellcheck disable=SC2086
		meson setup "$dir" --cross-file cross-riscv64.ini ${K4_OPTIONS:-} "$@" >&2
	elif [ -n "$(find servers drivers tests/programs -type d -newer "$dir/build.ninja")" ]; then
		# a program's folder changed: its list of sources comes from system.conf
		meson setup --reconfigure "$dir" >&2
	fi
	ninja -C "$dir" >&2
}

qemu() {
	local kernel=$1; shift
	exec qemu-system-riscv64 -machine virt -m 128M -nographic -bios "$FIRMWARE" \
		-kernel "$kernel" -global virtio-mmio.force-legacy=false "$@"
}

disk_args() {
	echo "-drive file=$1,if=none,format=raw,id=disk0 -device virtio-blk-device,drive=disk0"
}

# OpenSBI reads and drops whatever the UART holds when it starts, and
# QEMU hands a piped input's first byte to the UART before that: give it
# a newline to drop, so the user's input arrives whole.
qemu_piped() {
	{ printf '\n'; cat; } | qemu "$@"
}

case "${1:-run}" in
run)
	shift || true
	disk=""
	if [ "${1:-}" = "--disk" ]; then
		[ -f "${2:-}" ] || { echo "do.sh: run --disk FILE: no such file '${2:-}'" >&2; exit 2; }
		disk=$2
	fi
	build
	if [ -z "$disk" ]; then   # a fresh copy of the built image; the build's stays clean
		cp "$BUILD/disk.img" "$BUILD/disk-run.img"
		disk=$BUILD/disk-run.img
	fi
	# shellcheck disable=SC2046
	if [ -t 0 ]; then
		qemu "$BUILD/kernel-run.elf" $(disk_args "$disk")
	else
		qemu_piped "$BUILD/kernel-run.elf" $(disk_args "$disk")
	fi
	;;
test)   # the whole suite twice: with the IPC fastpath and without
	build
	build build-slowpath -Dfastpath=false
	exec "$PYTHON" tests/run_tests.py
	;;
bench)
	shift || true
	build
	exec "$PYTHON" tests/run_bench.py "$@"
	;;
profile)   # where one IPC round trip's instructions go, by function
	shift || true
	build
	exec "$PYTHON" tools/profile_ipc.py "$@"
	;;
fuzz)
	shift || true
	build
	if [ "${1:-}" = "--host" ]; then   # the file server's ext2 code under libFuzzer
		shift
		exec tests/run_host_fuzz.sh "$@"
	fi
	exec "$PYTHON" tests/run_fuzz.py "$@"
	;;
debug)
	build
	image=${2:-run}
	echo "QEMU waits for gdb on :1234. In gdb, load a user program's symbols with"
	echo "  add-symbol-file build/servers/root     (or build/tests/ktest, build/tests/kbench)"
	qemu-system-riscv64 -machine virt -m 128M -nographic -bios "$FIRMWARE" \
		-kernel "build/kernel-$image.elf" -s -S &
	qpid=$!
	trap 'kill $qpid 2>/dev/null' EXIT
	gdb-multiarch -q "build/kernel-$image.elf" -ex "set architecture riscv:rv64" \
		-ex "target remote localhost:1234"
	;;
*)
	echo "usage: $0 run [--disk FILE] | test | bench [--compare OLD.json] | profile [--image IMAGE]" >&2
	echo "       $0 debug [run|test|bench|fuzz]" >&2
	echo "       $0 fuzz [--iterations N] [--seed S] [--json FILE] | fuzz --image [--count M] [--seed S]" >&2
	echo "       $0 fuzz --host [libFuzzer options]" >&2
	exit 2
	;;
esac
