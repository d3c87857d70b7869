// SPDX-License-Identifier: GPL-2.0
/*
 * The driver's edge cases, probed from user space inside the test VM
 * (module/vm-suite.sh runs `vm-probe NAME` for each; exit 0 = as the driver
 * promises, otherwise the reason on stderr). Built statically by
 * scripts/vm-test with liburing and libaio.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libaio.h>
#include <liburing.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define DEV "/dev/iobench"
#define BS 4096

static int fail(const char *what)
{
	fprintf(stderr, "vm-probe: %s (errno %d: %s)\n", what, errno, strerror(errno));
	return 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void set_param(const char *name, const char *value)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/iobench/parameters/%s", name);
	f = fopen(path, "w");
	if (!f || fputs(value, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

static long stat_(const char *name)
{
	char path[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/misc/iobench/%s", name);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int threads(void)
{
	DIR *d = opendir("/proc/self/task");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n - 2;
}

/* Kernel AIO reports a submission the driver refused as its completion
 * event: the result of `cb` if it completes within `ms`, else 1. */
static long event_of(io_context_t ctx, struct iocb *cb, int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	struct io_event evs[8];
	int i, n = io_getevents(ctx, 1, 8, evs, &ts);

	for (i = 0; i < n; i++)
		if (evs[i].obj == cb)
			return (long)evs[i].res;
	return 1;
}

static void on_alarm(int s)
{
	(void)s;
}

/* SIGALRM after `ms`, with a handler and without SA_RESTART: a wait it
 * interrupts fails with EINTR. */
static void alarm_in(int ms)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerspec its = { .it_value = { ms / 1000, (ms % 1000) * 1000000L } };
	static timer_t t;
	static int made;

	sigaction(SIGALRM, &sa, NULL);
	if (!made++)
		timer_create(CLOCK_MONOTONIC, NULL, &t);
	timer_settime(t, 0, &its, NULL);
}

static void *buffer(size_t n)
{
	void *p;

	if (posix_memalign(&p, 4096, n))
		exit(2);
	memset(p, 0, n);
	return p;
}

/* A blocking read, a blocking write, and a wait for an async slot are all
 * interrupted by a signal (the device is slow: 2 s). */
static int probe_signals(void)
{
	char *buf = buffer(BS);
	struct iocb cb, *cbs[1] = { &cb };
	io_context_t ctx = 0;
	double t;
	int fd;

	set_param("latency_ns", "2000000000");
	set_param("qdepth", "1");
	fd = open(DEV, O_RDWR);
	if (fd < 0)
		return fail("open");
	alarm_in(100);
	t = now_s();
	if (read(fd, buf, BS) != -1 || errno != EINTR || now_s() - t > 1.0)
		return fail("a blocking read was not interrupted by a signal within 1 s");
	alarm_in(100);
	t = now_s();
	if (write(fd, buf, BS) != -1 || errno != EINTR || now_s() - t > 1.0)
		return fail("a blocking write was not interrupted by a signal within 1 s");
	/* The one slot taken, a second submission waits for it. */
	if (io_setup(4, &ctx))
		return fail("io_setup");
	io_prep_pread(&cb, fd, buf, BS, 0);
	if (io_submit(ctx, 1, cbs) != 1)
		return fail("io_submit of the first request");
	alarm_in(100);
	t = now_s();
	{
		struct iocb cb2, *cbs2[1] = { &cb2 };
		long res;

		io_prep_pread(&cb2, fd, buffer(BS), BS, 0);
		if (io_submit(ctx, 1, cbs2) != 1)
			return fail("io_submit of the second request");
		res = event_of(ctx, &cb2, 100);
		if (res != -EINTR || now_s() - t > 1.0) {
			fprintf(stderr, "vm-probe: a submission waiting for a slot ended with %ld after %.2f s, not -EINTR\n",
				res, now_s() - t);
			return 1;
		}
	}
	io_destroy(ctx); /* waits for the one in flight */
	close(fd);
	return stat_("inflight") == 0 ? 0 : fail("requests still in flight after io_destroy");
}

/* O_NONBLOCK (both paths) and RWF_NOWAIT: EAGAIN instead of a wait. */
static int probe_nowait(void)
{
	char *buf = buffer(BS);
	struct iocb cb, cb2, *cbs[1] = { &cb }, *cbs2[1] = { &cb2 };
	struct io_event ev;
	struct iovec iov = { buf, BS };
	io_context_t ctx = 0;
	int fd, nb;

	set_param("latency_ns", "500000000");
	set_param("qdepth", "1");
	nb = open(DEV, O_RDWR | O_NONBLOCK);
	fd = open(DEV, O_RDWR);
	if (nb < 0 || fd < 0)
		return fail("open");
	if (read(nb, buf, BS) != -1 || errno != EAGAIN)
		return fail("read on O_NONBLOCK before the block is ready: not EAGAIN");
	if (write(nb, buf, BS) != -1 || errno != EAGAIN)
		return fail("write on O_NONBLOCK while the channel is busy: not EAGAIN");
	if (preadv2(fd, &iov, 1, 0, RWF_NOWAIT) != -1 || errno != EAGAIN)
		return fail("preadv2(RWF_NOWAIT) before the block is ready: not EAGAIN");
	/* Every slot taken: an O_NONBLOCK file's async read is refused, not queued. */
	if (io_setup(4, &ctx))
		return fail("io_setup");
	io_prep_pread(&cb, fd, buf, BS, 0);
	if (io_submit(ctx, 1, cbs) != 1)
		return fail("io_submit");
	io_prep_pread(&cb2, nb, buffer(BS), BS, 0);
	{
		double t = now_s();
		long res = io_submit(ctx, 1, cbs2) == 1 ? event_of(ctx, &cb2, 100) : 1;

		if (res != -EAGAIN || now_s() - t > 0.2) {
			fprintf(stderr, "vm-probe: async read on O_NONBLOCK with no slot: %ld after %.2f s, not -EAGAIN\n",
				res, now_s() - t);
			return 1;
		}
	}
	if (io_getevents(ctx, 1, 1, &ev, NULL) != 1 || (long)ev.res != BS)
		return fail("the request in flight did not complete whole");
	io_destroy(ctx);
	return 0;
}

/* More requests than slots through io_uring: the ones refused wait on poll
 * for a free slot, all complete whole, and no io-wq worker is started (with
 * poll saying "ready" while every slot was busy, io_uring retried 128 times
 * and then parked each request on an io-wq thread). */
static int probe_over_qdepth(void)
{
	const int n = 16;
	struct io_uring ring;
	char *buf = buffer((size_t)n * BS);
	int fd, i, peak = 0, done = 0;
	double t;

	set_param("latency_ns", "100000000");
	set_param("qdepth", "2");
	{
		FILE *f = fopen("/sys/class/misc/iobench/reset", "w");

		if (!f || fputs("1", f) < 0 || fclose(f))
			return fail("resetting the statistics");
	}
	fd = open(DEV, O_RDONLY);
	if (fd < 0 || io_uring_queue_init(32, &ring, 0))
		return fail("open or io_uring_queue_init");
	for (i = 0; i < n; i++)
		io_uring_prep_read(io_uring_get_sqe(&ring), fd, buf + (size_t)i * BS, BS, (unsigned long long)i * BS);
	t = now_s();
	if (io_uring_submit(&ring) != n)
		return fail("io_uring_submit");
	while (done < n) {
		struct io_uring_cqe *cqe;
		struct __kernel_timespec ts = { 0, 20000000 };

		if (threads() > peak)
			peak = threads();
		if (io_uring_wait_cqe_timeout(&ring, &cqe, &ts) == 0) {
			if (cqe->res != BS) {
				fprintf(stderr, "vm-probe: a read beyond qdepth returned %d\n", cqe->res);
				return 1;
			}
			io_uring_cqe_seen(&ring, cqe);
			done++;
		}
		if (now_s() - t > 10)
			return fail("reads beyond qdepth did not complete in 10 s");
	}
	printf("@@IOBENCH-INFO over_qdepth_s=%.2f over_qdepth_threads=%d max_inflight=%ld@@\n", now_s() - t, peak,
	       stat_("max_inflight"));
	io_uring_queue_exit(&ring);
	close(fd);
	if (peak > 1) {
		fprintf(stderr, "vm-probe: %d threads: requests beyond qdepth went to io-wq\n", peak);
		return 1;
	}
	return stat_("max_inflight") == 2 ? 0 : fail("max_inflight is not the qdepth of 2");
}

/* Closing a ring and destroying an aio context with requests in flight:
 * everything completes and the device ends with nothing in flight. */
static int probe_teardown(void)
{
	struct io_uring ring;
	io_context_t ctx = 0;
	struct iocb cbs[8], *p[8];
	char *buf = buffer(16 * BS);
	int fd, i;

	set_param("latency_ns", "300000000");
	set_param("qdepth", "64");
	fd = open(DEV, O_RDONLY);
	if (fd < 0 || io_uring_queue_init(8, &ring, 0) || io_setup(8, &ctx))
		return fail("setup");
	for (i = 0; i < 8; i++)
		io_uring_prep_read(io_uring_get_sqe(&ring), fd, buf + (size_t)i * BS, BS, 0);
	if (io_uring_submit(&ring) != 8)
		return fail("io_uring_submit");
	for (i = 0; i < 8; i++) {
		io_prep_pread(&cbs[i], fd, buf + (size_t)(8 + i) * BS, BS, 0);
		p[i] = &cbs[i];
	}
	if (io_submit(ctx, 8, p) != 8)
		return fail("io_submit");
	if (stat_("inflight") != 16)
		return fail("16 requests should be in flight");
	io_uring_queue_exit(&ring);
	io_destroy(ctx);
	close(fd);
	for (i = 0; i < 40 && stat_("inflight"); i++)
		usleep(50000);
	return stat_("inflight") == 0 ? 0 : fail("requests left in flight after the ring and the context went away");
}

/* An address nothing is mapped at (volatile: the compiler must not see through it). */
static void *volatile unmapped = (void *)8;

/* Bad buffers, empty requests, offsets at the end of loff_t. */
static int probe_edges(void)
{
	char *buf = buffer(BS);
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	int fd;

	set_param("latency_ns", "1000");
	set_param("qdepth", "64");
	fd = open(DEV, O_RDWR);
	if (fd < 0 || io_uring_queue_init(4, &ring, 0))
		return fail("setup");
	usleep(1000);
	if (read(fd, buf, 0) != 0)
		return fail("a zero-length read");
	if (write(fd, buf, 0) != 0)
		return fail("a zero-length write");
	usleep(1000);
	if (read(fd, unmapped, BS) != -1 || errno != EFAULT)
		return fail("a read into an unmapped buffer: not EFAULT");
	usleep(1000);
	if (write(fd, unmapped, BS) != -1 || errno != EFAULT)
		return fail("a write from an unmapped buffer: not EFAULT");
	io_uring_prep_read(io_uring_get_sqe(&ring), fd, unmapped, BS, 0);
	io_uring_submit(&ring);
	if (io_uring_wait_cqe(&ring, &cqe) || cqe->res != -EFAULT)
		return fail("an io_uring read into an unmapped buffer: not -EFAULT");
	io_uring_cqe_seen(&ring, cqe);
	usleep(1000);
	/* The last whole block before LLONG_MAX reads; one past it is refused by the VFS. */
	if (pread(fd, buf, BS, LLONG_MAX - BS) != BS)
		return fail("a read ending at LLONG_MAX");
	usleep(1000);
	if (pread(fd, buf, BS, LLONG_MAX - BS + 1) != -1 || errno != EINVAL)
		return fail("a read past LLONG_MAX: not EINVAL");
	io_uring_prep_read(io_uring_get_sqe(&ring), fd, buf, BS, LLONG_MAX - BS);
	io_uring_submit(&ring);
	if (io_uring_wait_cqe(&ring, &cqe) || cqe->res != BS)
		return fail("an io_uring read ending at LLONG_MAX");
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	close(fd);
	return 0;
}

/* A 256 MiB read (the pattern is computed per sector: seconds under TCG) is
 * cut short by a signal, with what it copied so far. */
static int probe_long_copy(void)
{
	const size_t n = 256u << 20;
	char *buf = buffer(n);
	double t;
	ssize_t r;
	int fd;

	set_param("latency_ns", "0");
	fd = open(DEV, O_RDONLY);
	if (fd < 0)
		return fail("open");
	usleep(1000);
	alarm_in(200);
	t = now_s();
	r = read(fd, buf, n);
	printf("@@IOBENCH-INFO long_copy_bytes=%zd long_copy_s=%.2f@@\n", r, now_s() - t);
	if (r <= 0 || (size_t)r >= n || now_s() - t > 1.5) {
		fprintf(stderr, "vm-probe: a 256 MiB read with a signal after 0.2 s returned %zd after %.2f s\n", r,
			now_s() - t);
		return 1;
	}
	close(fd);
	return 0;
}

static void reset_stats(void)
{
	FILE *f = fopen("/sys/class/misc/iobench/reset", "w");

	if (!f || fputs("1", f) < 0 || fclose(f))
		exit(2);
}

/* Waits up to `ms` for `n` events; returns how many came and how many of
 * them were -ECANCELED. */
static int collect(io_context_t ctx, int n, int ms, int *cancelled)
{
	struct io_event evs[64];
	double until = now_s() + ms / 1000.0;
	int got = 0;

	*cancelled = 0;
	while (got < n && now_s() < until) {
		struct timespec ts = { 0, 20000000 };
		int i, k = io_getevents(ctx, 1, 64, evs, &ts);

		for (i = 0; i < k; i++)
			*cancelled += (long)evs[i].res == -ECANCELED;
		got += k > 0 ? k : 0;
	}
	return got;
}

/*
 * Cancellation. Kernel AIO: io_cancel of a read in service says
 * -EINPROGRESS and its event comes back at once with -ECANCELED; of one
 * that completed, -EINVAL; a storm of submit-and-cancel-everything rounds
 * leaves nothing in flight and `cancelled` counts each. io_uring cannot take
 * back what a driver holds: IORING_OP_ASYNC_CANCEL finds nothing (-ENOENT or
 * -EALREADY) and the read completes whole, a service time later.
 */
static int probe_cancel(void)
{
	const int n = 16, rounds = 50;
	char *buf = buffer((size_t)64 * BS);
	struct iocb cbs[64], *p[64];
	struct io_event ev;
	io_context_t ctx = 0;
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	int fd, i, r, got, cancelled, ring_res = 0, cancel_res = 0;
	double t;

	set_param("latency_ns", "500000000");
	set_param("qdepth", "64");
	reset_stats();
	fd = open(DEV, O_RDONLY);
	if (fd < 0 || io_setup(64, &ctx) || io_uring_queue_init(4, &ring, 0))
		return fail("setup");
	for (i = 0; i < n; i++) {
		io_prep_pread(&cbs[i], fd, buf + (size_t)i * BS, BS, (long long)i * BS);
		p[i] = &cbs[i];
	}
	if (io_submit(ctx, n, p) != n)
		return fail("io_submit");
	t = now_s();
	for (i = 0; i < n; i++)
		if ((r = io_cancel(ctx, &cbs[i], &ev)) != -EINPROGRESS) {
			fprintf(stderr, "vm-probe: io_cancel of a read in service: %d, not -EINPROGRESS\n", r);
			return 1;
		}
	got = collect(ctx, n, 2000, &cancelled);
	printf("@@IOBENCH-INFO cancel_events=%d cancel_ecanceled=%d cancel_s=%.3f@@\n", got, cancelled, now_s() - t);
	if (got != n || cancelled != n || now_s() - t > 0.25)
		return fail("cancelled reads did not all come back with -ECANCELED before their service time");
	if (io_cancel(ctx, &cbs[0], &ev) != -EINVAL)
		return fail("io_cancel of a completed read: not -EINVAL");

	set_param("latency_ns", "2000000");
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < 64; i++) {
			io_prep_pread(&cbs[i], fd, buf + (size_t)i * BS, BS, 0);
			p[i] = &cbs[i];
		}
		if (io_submit(ctx, 64, p) != 64)
			return fail("io_submit (storm)");
		for (i = 63; i >= 0; i--)
			io_cancel(ctx, &cbs[i], &ev);
		if (collect(ctx, 64, 5000, &cancelled) != 64)
			return fail("a storm round lost an event");
	}
	printf("@@IOBENCH-INFO storm_cancelled=%ld storm_inflight=%ld@@\n", stat_("cancelled"), stat_("inflight"));
	if (stat_("inflight") != 0)
		return fail("requests left in flight after the cancel storm");

	set_param("latency_ns", "300000000");
	{
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		io_uring_prep_read(sqe, fd, buf, BS, 0);
		io_uring_sqe_set_data64(sqe, 0);
	}
	io_uring_submit(&ring);
	t = now_s();
	{
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		io_uring_prep_cancel64(sqe, 0, 0);
		io_uring_sqe_set_data64(sqe, 1);
	}
	io_uring_submit(&ring);
	for (i = 0; i < 2; i++) {
		if (io_uring_wait_cqe(&ring, &cqe))
			return fail("io_uring_wait_cqe");
		if (cqe->user_data == 1)
			cancel_res = cqe->res;
		else
			ring_res = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
	}
	printf("@@IOBENCH-INFO uring_cancel_res=%d uring_read_res=%d uring_read_s=%.3f@@\n", cancel_res, ring_res,
	       now_s() - t);
	if ((cancel_res != -ENOENT && cancel_res != -EALREADY) || ring_res != BS)
		return fail("io_uring took back a read the driver held, or the read did not complete whole");
	io_uring_queue_exit(&ring);
	io_destroy(ctx);
	close(fd);
	return 0;
}

/* fsync, fdatasync, IOCB_CMD_FSYNC and IORING_OP_FSYNC each take one service time. */
static int probe_fsync(void)
{
	struct iocb cb, *p[1] = { &cb };
	struct io_event ev;
	io_context_t ctx = 0;
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	double t, took[4];
	int fd, i;

	set_param("latency_ns", "100000000");
	reset_stats();
	fd = open(DEV, O_RDWR);
	if (fd < 0 || io_setup(4, &ctx) || io_uring_queue_init(4, &ring, 0))
		return fail("setup");
	t = now_s();
	if (fsync(fd))
		return fail("fsync");
	took[0] = now_s() - t;
	t = now_s();
	if (fdatasync(fd))
		return fail("fdatasync");
	took[1] = now_s() - t;
	io_prep_fsync(&cb, fd);
	t = now_s();
	if (io_submit(ctx, 1, p) != 1 || io_getevents(ctx, 1, 1, &ev, NULL) != 1 || (long)ev.res != 0)
		return fail("IOCB_CMD_FSYNC");
	took[2] = now_s() - t;
	io_uring_prep_fsync(io_uring_get_sqe(&ring), fd, IORING_FSYNC_DATASYNC);
	t = now_s();
	if (io_uring_submit(&ring) != 1 || io_uring_wait_cqe(&ring, &cqe) || cqe->res != 0)
		return fail("IORING_OP_FSYNC");
	took[3] = now_s() - t;
	io_uring_cqe_seen(&ring, cqe);
	printf("@@IOBENCH-INFO fsync_s=%.3f,%.3f,%.3f,%.3f fsyncs=%ld@@\n", took[0], took[1], took[2], took[3],
	       stat_("fsyncs"));
	for (i = 0; i < 4; i++)
		if (took[i] < 0.1) {
			fprintf(stderr, "vm-probe: flush %d took %.3f s, less than the service time of 0.1 s\n", i, took[i]);
			return 1;
		}
	io_uring_queue_exit(&ring);
	io_destroy(ctx);
	close(fd);
	return stat_("fsyncs") == 4 ? 0 : fail("the device did not count 4 flushes");
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(void);
	} probes[] = {
		{ "signals", probe_signals }, { "nowait", probe_nowait },     { "over-qdepth", probe_over_qdepth },
		{ "teardown", probe_teardown }, { "edges", probe_edges }, { "long-copy", probe_long_copy },
		{ "cancel", probe_cancel },     { "fsync", probe_fsync },
	};
	size_t i;

	setvbuf(stdout, NULL, _IONBF, 0);
	for (i = 0; argc == 2 && i < sizeof(probes) / sizeof(probes[0]); i++)
		if (!strcmp(argv[1], probes[i].name))
			return probes[i].fn();
	fprintf(stderr, "usage: vm-probe signals|nowait|over-qdepth|teardown|edges|long-copy|cancel|fsync\n");
	return 2;
}
