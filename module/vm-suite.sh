#!/bin/sh
# The driver test suite, run as /init's payload inside the VM (busybox sh).
# Everything the host needs comes back on the console between sentinels:
#   @@IOBENCH-STEP name rc@@            a step's exit code
#   @@IOBENCH-FILE name@@ ... @@IOBENCH-EOF@@   a result document
# The host (scripts/vm_check.py) decides pass or fail.
LAT=200000
# A hang must show up as a failed step (exit 143), not as the VM's timeout.
iob() { timeout 180 iobench "$@"; }
step() { name=$1; shift; "$@"; echo "@@IOBENCH-STEP $name $?@@"; }
emit() { echo "@@IOBENCH-FILE $1@@"; cat "/tmp/$1"; echo; echo "@@IOBENCH-EOF@@"; }
param() { cat /sys/module/iobench/parameters/$1; }
stat_() { cat /sys/class/misc/iobench/$1; }

step insmod insmod /iobench.ko latency_ns=$LAT qdepth=64
echo "@@IOBENCH-INFO latency_ns=$(param latency_ns) qdepth=$(param qdepth) kernel=$(uname -r)@@"

# Every backend and variant, qd 1 and 16, reads and writes, with --verify.
for qd in 1 16; do
  for rw in read write; do
    f=all-$rw-qd$qd.json
    step "$f" iob run --target driver --backend 'all:*' --rw $rw --qd $qd --verify \
         --runtime 300ms --ramp 50ms -q -o /tmp/$f
    emit $f
  done
done

# Cancellation and flushes through iobench: a share of the reads cancelled
# by every model that can (kernel AIO takes them back, io_uring and glibc's
# helpers, blocked in the driver, cannot); each model's own flush; and the
# requests in flight at the end of a run against a 400 ms device cancelled
# rather than waited for.
step cancel.json iob run --target driver --backend posixaio,libaio,io_uring:default,io_uring:batch --rw read \
     --qd 16 --cancel-pct 50 --verify --runtime 300ms --ramp 50ms -q -o /tmp/cancel.json
emit cancel.json
step fsync.json iob run --target driver --backend 'all:*' --rw write --qd 4 --fsync-every 4 --fsync-kind fdatasync \
     --verify --runtime 300ms -q -o /tmp/fsync.json
emit fsync.json
echo "@@IOBENCH-INFO fsyncs_after=$(stat_ fsyncs)@@"
step drain.json iob run --target driver --dev-latency 400ms --backend libaio --rw read --qd 8 --runtime 1s \
     --drain cancel -q -o /tmp/drain.json
emit drain.json
echo $LAT > /sys/module/iobench/parameters/latency_ns

# Injected failures are counted and the run goes on.
echo 100 > /sys/module/iobench/parameters/fail_every
step fail.json iob run --target driver --backend sync,poll:epoll,sigio,libaio,io_uring --rw read --qd 8 \
     --runtime 500ms -q -o /tmp/fail.json
emit fail.json
echo 0 > /sys/module/iobench/parameters/fail_every

# Many concurrent opens: 2 jobs x 400 channels.
step many.json iob run --target driver --backend poll:epoll --qd 400 --jobs 2 --rw read --runtime 500ms \
     -q -o /tmp/many.json
emit many.json
echo "@@IOBENCH-INFO open_channels_after=$(stat_ open_channels)@@"

# A block device of known latency: the kernel's null_blk completing every
# request from a timer (irqmode=2) after NB ns, with poll queues for iopoll.
NB=100000
insmod /configfs.ko 2>/dev/null  # absent or built in: null_blk says so below
step nullb-load insmod /null_blk.ko irqmode=2 completion_nsec=$NB poll_queues=2 submit_queues=2 gb=1
echo "@@IOBENCH-INFO nullb_ns=$NB@@"
step nullb.json iob run --target file:/dev/nullb0 --direct --backend 'sync,posixaio,libaio,io_uring:*' \
     --rw randread --size 256M --qd 4 --runtime 300ms --ramp 50ms -q -o /tmp/nullb.json
emit nullb.json

# iobench sets the module's parameters itself (--dev-*), and records them.
step dev.json iob run --target driver --dev-latency 300us --dev-qdepth 16 --backend sync,io_uring --rw read \
     --qd 4 --runtime 300ms -q -o /tmp/dev.json
emit dev.json
echo "@@IOBENCH-INFO qdepth_after_dev=$(param qdepth)@@"

# The driver's edge cases (module/vm-probe.c): signals during every wait,
# EAGAIN without waiting, more requests than slots, teardown with requests in
# flight, bad buffers and offsets, a long copy cut short by a signal.
for p in signals nowait over-qdepth teardown edges long-copy cancel fsync; do
  step "probe-$p" timeout 60 vm-probe $p
done
echo 200000 > /sys/module/iobench/parameters/latency_ns
echo 64 > /sys/module/iobench/parameters/qdepth
# Parameters out of range are refused and leave the value as it was.
for bad in "latency_ns 10000000001" "latency_ns -1" "qdepth 0" "qdepth 4097" "qdepth x"; do
  set -- $bad
  echo "$2" > /sys/module/iobench/parameters/$1 2>/dev/null; echo "@@IOBENCH-STEP param-$1=$2 $?@@"
done
echo "@@IOBENCH-INFO latency_after_bad=$(param latency_ns) qdepth_after_bad=$(param qdepth)@@"

# qdepth cannot change while the device is open; rmmod is refused while open.
exec 3</dev/iobench
echo 8 > /sys/module/iobench/parameters/qdepth 2>/dev/null; echo "@@IOBENCH-STEP qdepth-while-open $?@@"
rmmod iobench 2>/dev/null; echo "@@IOBENCH-STEP rmmod-while-open $?@@"
exec 3<&-
step qdepth-closed sh -c 'echo 32 > /sys/module/iobench/parameters/qdepth'

# A process killed with requests in flight: completions still land, then rmmod is clean.
echo 1000000000 > /sys/module/iobench/parameters/latency_ns
iobench run --target driver --backend io_uring --qd 32 --rw read --runtime 30s -q &
p1=$!
iobench run --target driver --backend libaio --qd 32 --rw read --runtime 30s -q &
p2=$!
sleep 2
echo "@@IOBENCH-INFO inflight_before_kill=$(stat_ inflight)@@"
kill -9 $p1 $p2
wait $p1 $p2 2>/dev/null
n=0
while ! rmmod iobench 2>/dev/null; do
  n=$((n + 1)); [ $n -gt 40 ] && break; sleep 0.5
done
echo "@@IOBENCH-STEP rmmod-after-kill $([ -e /sys/module/iobench ] && echo 1 || echo 0)@@"
echo "@@IOBENCH-DMESG-BEGIN@@"
dmesg
echo "@@IOBENCH-DMESG-END@@"
echo "@@IOBENCH-DONE@@"
