#!/usr/bin/env bash
# The project's commands. ./do.sh run | test | debug | bench | profile | fuzz | campaign
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
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $PACKAGES >&2
	else
		echo "do.sh: missing tools; as root run: apt-get install --no-install-recommends $(echo $PACKAGES)" >&2
		exit 1
	fi
}

# The build folder: build/, or what K4_BUILD names, configured with the
# Meson options in K4_OPTIONS. ./do.sh test also builds $BUILD-slowpath,
# the same without the IPC fastpath, and $BUILD-clobber, with the
# clobbering syscall ABI (so does ./do.sh bench).
BUILD=${K4_BUILD:-build}
export K4_BUILD=$BUILD

# Of the -Dname=value options given (the last of each name counts), those
# folder $1 is not configured with.
options_differ() {
	local dir=$1; shift
	meson introspect "$dir" --buildoptions | "$PYTHON" -c '
import json, sys
have = {o["name"]: o["value"] for o in json.load(sys.stdin)}
want = dict(opt[2:].split("=", 1) for opt in sys.argv[1:] if opt.startswith("-D") and "=" in opt)
for name, value in want.items():
    opt = f"-D{name}={value}"
    cur = have.get(name)
    if isinstance(cur, list):   # -Dipc_designs=regs,ring
        same = [v.strip(" " + chr(39)) for v in value.strip("[]").split(",") if v.strip()] == cur
    else:
        same = (str(cur).lower() if isinstance(cur, bool) else str(cur)) == value
    if not same:
        print(opt)
' "$@"
}

build() {   # build [FOLDER [MESON OPTIONS]]: the options the folder must have
	local dir=${1:-$BUILD}; shift || true
	ensure_tools
	# shellcheck disable=SC2086
	set -- ${K4_OPTIONS:-} "$@"
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" --cross-file cross-riscv64.ini "$@" >&2
	else
		local wrong
		wrong=$(options_differ "$dir" "$@")
		if [ -n "$wrong" ]; then   # configured otherwise than it is meant to be
			echo "do.sh: $dir: reconfiguring with" $wrong >&2
			# shellcheck disable=SC2086
			# (a folder made before an option existed knows it only after a reconfigure)
			meson configure "$dir" $wrong >&2 2>/dev/null || meson setup --reconfigure "$dir" $wrong >&2
		fi
		if [ -n "$(find servers drivers tests/programs -type d -newer "$dir/build.ninja")" ]; then
			# a program's folder changed: its list of sources comes from system.conf
			meson setup --reconfigure "$dir" >&2
		fi
	fi
	ninja -C "$dir" >&2
}

qemu() {   # replaces this shell: whoever stops ./do.sh run stops QEMU
	local kernel=$1; shift
	exec qemu-system-riscv64 -machine virt -m 128M -nographic -bios "$FIRMWARE" \
		-kernel "$kernel" -global virtio-mmio.force-legacy=false "$@"
}

disk_args() {
	echo "-drive file=$1,if=none,format=raw,id=disk0 -device virtio-blk-device,drive=disk0"
}

# OpenSBI reads and drops whatever the UART holds when it starts, and
# QEMU hands a piped input's first byte to the UART before that: give it
# a newline to drop, so the user's input arrives whole. (Not through a
# pipe: QEMU would run in a subshell of its own, and outlive this one.)
qemu_piped() {
	qemu "$@" < <(printf '\n'; cat)
}

# gdb commands that load task $2's symbols and break at its main, in that
# task only: every program is linked at the same user addresses, so the
# breakpoint waits for the task's address space (satp), which the kernel
# loads before it first returns to the task (user_return, where current is
# the thread about to run; the kernel names the root task "root").
debug_task() {
	local image=$1 task=$2 elf tcb=$2
	elf=$(meson introspect "$BUILD" --targets | "$PYTHON" -c '
import json, sys
for t in json.load(sys.stdin):
    if t["type"] == "executable" and t["name"] == sys.argv[1]:
        print(t["filename"][0])
' "$task")
	[ -n "$elf" ] || { echo "do.sh: no program '$task' in $BUILD" >&2; exit 2; }
	case $image:$task in run:mm | test:ktest | bench*:kbench | fuzz:kfuzz) tcb=root ;; esac
	echo "gdb breaks at main in task $task ($elf)" >&2
	cat <<-EOF
		add-symbol-file $elf
		tbreak user_return if \$_streq(current->name, "$tcb")
		commands
		silent
		set \$task_satp = \$satp
		printf "do.sh: task $task runs with satp 0x%lx; breaking at its main\\n", \$task_satp
		break main if \$satp == \$task_satp
		continue
		end
	EOF
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
test)   # the whole suite twice: with the IPC fastpath ($BUILD) and without ($BUILD-slowpath);
	# the kernel and system suites again with the clobbering syscall ABI ($BUILD-clobber)
	build "$BUILD" -Dfastpath=true
	build "$BUILD-slowpath" -Dfastpath=false
	build "$BUILD-clobber" -Dfastpath=true -Dclobber_abi=true
	build "$BUILD-hostile" -Dhostile_blk=true   # a virtio-blk that gives bad replies, for one test
	build "$BUILD-trace" -Dtrace=true           # the kernel's IPC trace, for the trace suite
	exec "$PYTHON" tests/run_tests.py
	;;
bench)   # today's syscall ABI and the clobbering one ($BUILD-clobber) side by side
	shift || true
	build
	build "$BUILD-clobber" -Dclobber_abi=true
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
campaign)   # a fault campaign on the system of campaign.conf, built in $BUILD-campaign
	shift || true   # (--trace-failures: in $BUILD-campaign-trace, with the kernel's IPC trace)
	dir=$BUILD-campaign trace=false
	case " $* " in *" --trace-failures "*) dir=$BUILD-campaign-trace trace=true ;; esac
	build "$dir" -Dsystem=campaign.conf -Dtrace=$trace
	K4_BUILD=$dir exec "$PYTHON" tools/campaign.py "$@"
	;;
trace)   # trace [--out FILE] -- 'CMD' ...: the kernel's IPC trace of shell commands ($BUILD-trace)
	shift || true
	build "$BUILD-trace" -Dtrace=true
	K4_BUILD=$BUILD-trace exec "$PYTHON" tools/ipctrace.py "$@"
	;;
debug)   # debug [run|test|bench|bench-slowpath|fuzz] [--task NAME]
	shift
	image=run task=""
	while [ $# -gt 0 ]; do
		case $1 in
		--task) task=${2:?"do.sh: debug --task NAME"}; shift 2 ;;
		*) image=$1; shift ;;
		esac
	done
	build
	[ -f "$BUILD/kernel-$image.elf" ] || { echo "do.sh: no image $BUILD/kernel-$image.elf" >&2; exit 2; }
	gdbinit=$(mktemp)
	trap 'rm -f "$gdbinit"' EXIT
	port=${K4_GDB_PORT:-1234}
	printf 'set architecture riscv:rv64\ntarget remote localhost:%s\n' "$port" > "$gdbinit"
	if [ -n "$task" ]; then
		debug_task "$image" "$task" >> "$gdbinit"
		echo continue >> "$gdbinit"   # to the task's main
	else
		echo "QEMU waits for gdb on :$port (./do.sh debug --task NAME breaks in a task's main)"
	fi
	args=()
	if [ "$image" = run ]; then
		cp "$BUILD/disk.img" "$BUILD/disk-run.img"
		# shellcheck disable=SC2207
		args=($(disk_args "$BUILD/disk-run.img"))
	fi
	qemu-system-riscv64 -machine virt -m 128M -nographic -bios "$FIRMWARE" -global virtio-mmio.force-legacy=false \
		-kernel "$BUILD/kernel-$image.elf" "${args[@]}" -gdb "tcp::$port" -S &
	qpid=$!
	trap 'kill $qpid 2>/dev/null; rm -f "$gdbinit"' EXIT
	gdb-multiarch -q "$BUILD/kernel-$image.elf" -x "$gdbinit"
	;;
*)
	echo "usage: $0 run [--disk FILE] | test | bench [--compare OLD.json] | profile [--image IMAGE]" >&2
	echo "       $0 debug [run|test|bench|bench-slowpath|fuzz] [--task NAME]" >&2
	echo "       $0 fuzz [--iterations N] [--seed S] [--json FILE] [--coverage] | fuzz --known" >&2
	echo "       $0 fuzz --image [--count M] [--seed S]" >&2
	echo "       $0 fuzz --host [libFuzzer options]" >&2
	echo "       $0 campaign --target virtio-blk|uart|fs --faults N --seed S [--types LIST] [--jobs J]" >&2
	echo "                   [--json FILE] [--plot FILE] [--trace-failures DIR]" >&2
	echo "       $0 trace [--out FILE] [--png FILE] [--clock instret|time] -- 'CMD' ..." >&2
	exit 2
	;;
esac
