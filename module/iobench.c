// SPDX-License-Identifier: GPL-2.0
/*
 * iobench test device: a character device with a known service time, so that
 * every Linux I/O model can be measured against it (see docs/driver.md).
 *
 * Each open file is a channel. Synchronous reads and writes (read, pread,
 * readv, glibc aio's helper threads) follow the channel model: the next block
 * is ready `service` after open and after each read consumed one; a write
 * waits until the channel is free and then occupies it for `service`. Readiness
 * is reported by poll (EPOLLIN/EPOLLOUT) and by SIGIO (kill_fasync POLL_IN /
 * POLL_OUT) from an hrtimer at the moment it arrives.
 *
 * Asynchronous submissions (io_uring, libaio: a kiocb with ki_complete) take
 * one of `qdepth` device-wide slots, copy the data at submission, return
 * -EIOCBQUEUED and complete from an hrtimer `service` later. IOCB_NOWAIT is
 * honoured (-EAGAIN when no slot is free, never sleep) and FMODE_NOWAIT is
 * set so io_uring issues inline. A kiocb that came through kernel AIO gets a
 * cancel function: io_cancel on one still in service completes it at once
 * with -ECANCELED (io_uring has no way to reach a driver's request).
 * fsync and fdatasync complete after one service time.
 *
 * Reads return the pattern of iobench's src/core/pattern.h with seed 0 (a
 * function of the absolute offset), so iobench --verify works; written
 * sectors that carry the pattern's magic are checked and mismatches counted.
 * A read's first sector carries the time its block became ready (word 4,
 * checksum corrected): when the channel was ready, or when the read asked
 * if it already was; on the asynchronous path, when the timer is due.
 * service = latency_ns + len * 1e9 / bandwidth, latency capped at 10 s.
 */
#include <linux/aio.h>
#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/version.h>
#include <linux/wait.h>

#define IOB_MAX_LATENCY_NS (10ULL * NSEC_PER_SEC)
#define IOB_MAX_QDEPTH 4096
#define IOB_SECTOR 512
#define IOB_WORDS (IOB_SECTOR / 8)
#define IOB_MAGIC 0x49424e4348534543ULL /* "IBNCHSEC", as pattern.h */
#define IOB_SEED_MUL 0x9e3779b97f4a7c15ULL

/* ---- parameters ---------------------------------------------------------- */

static atomic_t iob_open_count = ATOMIC_INIT(0);

static unsigned long latency_ns = 100000;
static unsigned long bandwidth;  /* bytes/s, 0 = infinite */
static unsigned int qdepth = 64;
static unsigned long fail_every; /* 0 = never */

static int set_latency(const char *val, const struct kernel_param *kp)
{
	unsigned long v;
	int ret = kstrtoul(val, 0, &v);

	if (ret)
		return ret;
	if (v > IOB_MAX_LATENCY_NS)
		return -EINVAL;
	WRITE_ONCE(latency_ns, v);
	return 0;
}

/* The slot count cannot change under requests that hold slots. */
static int set_qdepth(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int ret = kstrtouint(val, 0, &v);

	if (ret)
		return ret;
	if (v < 1 || v > IOB_MAX_QDEPTH)
		return -EINVAL;
	if (atomic_read(&iob_open_count))
		return -EBUSY;
	WRITE_ONCE(qdepth, v);
	return 0;
}

static const struct kernel_param_ops latency_ops = { .set = set_latency, .get = param_get_ulong };
static const struct kernel_param_ops qdepth_ops = { .set = set_qdepth, .get = param_get_uint };
module_param_cb(latency_ns, &latency_ops, &latency_ns, 0644);
MODULE_PARM_DESC(latency_ns, "service time per request in ns (max 10 s)");
module_param(bandwidth, ulong, 0644);
MODULE_PARM_DESC(bandwidth, "bytes per second, 0 = infinite (adds len/bandwidth)");
module_param_cb(qdepth, &qdepth_ops, &qdepth, 0644);
MODULE_PARM_DESC(qdepth, "async requests in service at once, 1..4096 (EBUSY while open)");
module_param(fail_every, ulong, 0644);
/* Read blocks carry their ready time (iob_stamp_ready): iobench measures notification delays from it. */
static unsigned int ready_stamps = 1;
module_param(ready_stamps, uint, 0444);
MODULE_PARM_DESC(ready_stamps, "1: the first sector of every read carries the CLOCK_MONOTONIC time it became ready");
MODULE_PARM_DESC(fail_every, "every Nth request fails with EIO, 0 = never");

/* ---- statistics ------------------------------------------------------------ */

static atomic64_t st_requests, st_bytes, st_signals, st_errors, st_mismatches, st_max_inflight, st_cancelled,
	st_fsyncs;
static atomic_t st_inflight;

static u64 service_ns(size_t len)
{
	u64 ns = READ_ONCE(latency_ns);
	unsigned long bw = READ_ONCE(bandwidth);

	if (bw)
		ns += div64_u64((u64)len * NSEC_PER_SEC, bw);
	return min_t(u64, ns, IOB_MAX_LATENCY_NS + NSEC_PER_SEC);
}

static bool inject_failure(void)
{
	unsigned long every = READ_ONCE(fail_every);
	u64 n = atomic64_inc_return(&st_requests);

	if (every && n % every == 0) {
		atomic64_inc(&st_errors);
		return true;
	}
	return false;
}

/* ---- the data pattern (src/core/pattern.h) --------------------------------- */

static u64 splitmix64(u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static u64 fold(u64 acc, u64 w)
{
	return ((acc << 7) | (acc >> 57)) ^ w;
}

static void fill_sector(u64 *w, u64 offset)
{
	u64 sum = 0;
	int i;

	for (i = 4; i < IOB_WORDS; i++) {
		w[i] = splitmix64(offset ^ (0 * IOB_SEED_MUL) ^ i);
		sum = fold(sum, w[i]);
	}
	w[0] = IOB_MAGIC;
	w[1] = offset;
	w[2] = 0;
	w[3] = sum;
}

/*
 * Word 4 of a read's first sector becomes the time the block was ready
 * (CLOCK_MONOTONIC, like iobench's clock); the checksum follows: fold()
 * rotates word 4 left by 7 for each of the 59 words after it (pattern.h).
 */
static void stamp_ready(u64 *w, u64 ready_ns)
{
	u64 d = w[4] ^ ready_ns;

	w[3] ^= (d << 29) | (d >> 35);
	w[4] = ready_ns;
}

/*
 * A request may be up to 2 GiB and the device is open to every user (0666, a
 * test device, like /dev/zero): the copy loops give the CPU up at every page
 * and stop at a pending signal with what they did (a short count), so no
 * caller holds a CPU for seconds or ignores Ctrl-C.
 */
static bool iob_yield(size_t done)
{
	if (done % PAGE_SIZE)
		return false;
	cond_resched();
	return signal_pending(current);
}

/* Copies the pattern for [pos, pos + len) into the iterator, the first
 * sector stamped with `ready_ns` when the read starts on a sector. */
static ssize_t copy_pattern(struct iov_iter *to, loff_t pos, size_t len, u64 ready_ns)
{
	u64 w[IOB_WORDS];
	size_t done = 0;

	while (done < len) {
		if (done && iob_yield(done))
			return done;
		loff_t p = pos + done;
		loff_t sector = p & ~(loff_t)(IOB_SECTOR - 1);
		size_t skip = p - sector;
		size_t n = min_t(size_t, IOB_SECTOR - skip, len - done);

		fill_sector(w, sector);
		if (done == 0 && skip == 0)
			stamp_ready(w, ready_ns);
		if (copy_to_iter((char *)w + skip, n, to) != n)
			return done ? done : -EFAULT;
		done += n;
	}
	return done;
}

/* Counts written sectors that claim to be stamped but do not match. */
static ssize_t check_written(struct iov_iter *from, loff_t pos, size_t len)
{
	u64 w[IOB_WORDS], want[IOB_WORDS];
	size_t done = 0;

	while (done < len) {
		size_t n = min_t(size_t, IOB_SECTOR, len - done);

		if (done && iob_yield(done))
			return done;
		if (copy_from_iter(w, n, from) != n)
			return done ? done : -EFAULT;
		if (n == IOB_SECTOR && !((pos + done) & (IOB_SECTOR - 1)) && w[0] == IOB_MAGIC) {
			fill_sector(want, w[1]);
			want[2] = w[2];
			if (w[1] != pos + done || (w[2] == 0 && memcmp(w + 3, want + 3, IOB_SECTOR - 24)))
				atomic64_inc(&st_mismatches);
		}
		done += n;
	}
	return done;
}

/* ---- channels (one per open file): the synchronous model ------------------- */

struct iob_chan {
	spinlock_t lock;
	wait_queue_head_t wq;
	struct fasync_struct *fasync;
	ktime_t read_ready;  /* when the next block can be read */
	ktime_t write_free;  /* when the channel can take a write */
	struct hrtimer read_timer, write_timer;
	struct list_head slot_wait;  /* on slot_waiters: polled while every slot was in service */
};

static void notify(struct iob_chan *c, __poll_t ev, int band)
{
	wake_up_interruptible_poll(&c->wq, ev);
	if (READ_ONCE(c->fasync)) {
		kill_fasync(&c->fasync, SIGIO, band);
		atomic64_inc(&st_signals);
	}
}

static enum hrtimer_restart read_ready_fn(struct hrtimer *t)
{
	notify(container_of(t, struct iob_chan, read_timer), EPOLLIN | EPOLLRDNORM, POLL_IN);
	return HRTIMER_NORESTART;
}

static enum hrtimer_restart write_free_fn(struct hrtimer *t)
{
	notify(container_of(t, struct iob_chan, write_timer), EPOLLOUT | EPOLLWRNORM, POLL_OUT);
	return HRTIMER_NORESTART;
}

static void iob_timer_setup(struct hrtimer *t, enum hrtimer_restart (*fn)(struct hrtimer *))
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
	hrtimer_setup(t, fn, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_SOFT);
#else
	hrtimer_init(t, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_SOFT);
	t->function = fn;
#endif
}

/*
 * Waits until `*at` has passed (or fails with -EAGAIN when the caller may not
 * sleep), then moves `*at` one service time ahead and arms `timer` to announce
 * the next readiness. Called with nothing held. The lock only orders callers
 * of one channel (the timers never take it), so it needs no irq or bh guard;
 * poll and the wait read `*at` without it, hence READ_ONCE/WRITE_ONCE.
 */
static int take_channel(struct iob_chan *c, ktime_t *at, struct hrtimer *timer, bool write, bool nowait,
			size_t len, u64 *ready_ns)
{
	ktime_t now, asked = ktime_get();
	bool missed;

	for (;;) {
		spin_lock(&c->lock);
		now = ktime_get();
		/* Ready when it became ready, or when asked if it already was. */
		*ready_ns = ktime_to_ns(ktime_compare(*at, asked) > 0 ? *at : asked);
		if (ktime_compare(now, *at) >= 0)
			break;
		spin_unlock(&c->lock);
		if (nowait)
			return -EAGAIN;
		if (wait_event_interruptible(c->wq, ktime_compare(ktime_get(), READ_ONCE(*at)) >= 0))
			return -ERESTARTSYS;
	}
	/* A timer past its expiry whose soft irq has not run yet would be moved
	 * by hrtimer_start and its wakeup and SIGIO lost: announce it here. */
	missed = hrtimer_is_queued(timer) && ktime_compare(hrtimer_get_expires(timer), now) <= 0;
	WRITE_ONCE(*at, ktime_add_ns(now, service_ns(len)));
	hrtimer_start(timer, *at, HRTIMER_MODE_ABS_SOFT);
	spin_unlock(&c->lock);
	if (missed)
		notify(c, write ? EPOLLOUT | EPOLLWRNORM : EPOLLIN | EPOLLRDNORM, write ? POLL_OUT : POLL_IN);
	return 0;
}

/* ---- asynchronous submissions: qdepth device-wide slots --------------------- */

struct iob_req {
	struct hrtimer timer;
	struct kiocb *iocb;
	long res;
	bool busy;
};

static struct iob_req *iob_slots; /* IOB_MAX_QDEPTH, of which qdepth are used */
static DEFINE_SPINLOCK(slots_lock);
static DECLARE_WAIT_QUEUE_HEAD(slots_wq);
/* Channels whose poll found every slot in service, woken when one frees
 * (under slots_lock, which release takes too: no channel is freed while
 * listed). A channel's poll waits on its own queue alone. */
static LIST_HEAD(slot_waiters);

static struct iob_req *get_slot(void)
{
	unsigned int i, limit = READ_ONCE(qdepth);
	struct iob_req *r = NULL;
	int now;

	/* Taken in process context here and in the soft irq of async_done_fn. */
	spin_lock_bh(&slots_lock);
	for (i = 0; i < limit; i++) {
		if (!iob_slots[i].busy) {
			r = &iob_slots[i];
			r->busy = true;
			break;
		}
	}
	spin_unlock_bh(&slots_lock);
	if (r) {
		s64 max = atomic64_read(&st_max_inflight);

		now = atomic_inc_return(&st_inflight);
		/* Two submitters racing must not lose the larger maximum. */
		while (now > max && !atomic64_try_cmpxchg(&st_max_inflight, &max, now))
			;
	}
	return r;
}

/*
 * The kiocb completes before its slot is freed: until then the slot is this
 * kiocb's alone, so a cancel (which runs while kernel AIO still lists the
 * kiocb as active, i.e. before ki_complete has removed it) never reaches a
 * slot that already serves another request.
 */
static enum hrtimer_restart async_done_fn(struct hrtimer *t)
{
	struct iob_req *r = container_of(t, struct iob_req, timer);
	struct kiocb *iocb = r->iocb;
	struct iob_chan *c, *next;

#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 16, 0)
	iocb->ki_complete(iocb, READ_ONCE(r->res));
#else
	iocb->ki_complete(iocb, READ_ONCE(r->res), 0);
#endif

	spin_lock(&slots_lock);  /* soft irq: process context holds it with bh off */
	r->busy = false;
	r->iocb = NULL;
	atomic_dec(&st_inflight);
	/* No key: each poller looks at the channel again, so a freed slot is
	 * not taken for data that is not there. */
	list_for_each_entry_safe(c, next, &slot_waiters, slot_wait) {
		list_del_init(&c->slot_wait);
		wake_up_interruptible(&c->wq);
	}
	spin_unlock(&slots_lock);
	wake_up(&slots_wq);
	return HRTIMER_NORESTART;
}

#ifdef IOCB_AIO_RW
/*
 * io_cancel (and io_destroy, for every request still listed) calls this with
 * the aio context's lock held and interrupts off, so it must not complete
 * the kiocb itself (ki_complete takes that lock) nor take slots_lock (taken
 * with only bottom halves off elsewhere): it moves the slot's timer to now,
 * and the timer completes the kiocb with -ECANCELED from its soft irq. A
 * timer already running completes it as served: too late (-EALREADY).
 */
static int iob_cancel(struct kiocb *iocb)
{
	struct iob_req *r = iocb->private;

	if (hrtimer_try_to_cancel(&r->timer) != 1)
		return -EALREADY;
	WRITE_ONCE(r->res, -ECANCELED);
	atomic64_inc(&st_cancelled);
	hrtimer_start(&r->timer, ktime_get(), HRTIMER_MODE_ABS_SOFT);
	return 0;
}
#endif

static ssize_t submit_async(struct kiocb *iocb, struct iov_iter *it, bool write)
{
	size_t len = iov_iter_count(it);
	struct iob_req *r;
	ktime_t expires;
	ssize_t res;

	r = get_slot();
	if (!r) {
		/* As the synchronous path: a non-blocking file never waits for a slot. */
		if ((iocb->ki_flags & IOCB_NOWAIT) || (iocb->ki_filp->f_flags & O_NONBLOCK))
			return -EAGAIN;
		if (wait_event_interruptible(slots_wq, (r = get_slot()) != NULL))
			return -ERESTARTSYS;
	}
	/* The data moves now; only the completion waits for the service time,
	 * and the block says it is ready when the timer is due to complete it. */
	expires = ktime_add_ns(ktime_get(), service_ns(len));
	if (inject_failure())
		res = -EIO;
	else
		res = write ? check_written(it, iocb->ki_pos, len) : copy_pattern(it, iocb->ki_pos, len, ktime_to_ns(expires));
	if (res > 0) {
		atomic64_add(res, &st_bytes);
		iocb->ki_pos += res;
	}
	r->iocb = iocb;
	r->res = res;
#ifdef IOCB_AIO_RW
	/* Only kernel AIO's kiocbs can be cancelled; since the 2024 fix
	 * (IOCB_AIO_RW) kiocb_set_cancel_fn ignores any other, but an io_uring
	 * kiocb must not have its private pointer reused either. Set before the
	 * timer starts: once it runs, the kiocb may be gone. */
	if (iocb->ki_flags & IOCB_AIO_RW) {
		iocb->private = r;
		kiocb_set_cancel_fn(iocb, iob_cancel);
	}
#endif
	hrtimer_start(&r->timer, expires, HRTIMER_MODE_ABS_SOFT);
	return -EIOCBQUEUED;
}

/* ---- file operations ------------------------------------------------------------ */

static ssize_t do_sync(struct kiocb *iocb, struct iov_iter *it, bool write)
{
	struct iob_chan *c = iocb->ki_filp->private_data;
	bool nowait = (iocb->ki_flags & IOCB_NOWAIT) || (iocb->ki_filp->f_flags & O_NONBLOCK);
	size_t len = iov_iter_count(it);
	u64 ready_ns;
	ssize_t res;
	int ret;

	ret = write ? take_channel(c, &c->write_free, &c->write_timer, true, nowait, len, &ready_ns)
		    : take_channel(c, &c->read_ready, &c->read_timer, false, nowait, len, &ready_ns);
	if (ret)
		return ret;
	if (inject_failure())
		return -EIO;
	res = write ? check_written(it, iocb->ki_pos, len) : copy_pattern(it, iocb->ki_pos, len, ready_ns);
	if (res > 0) {
		atomic64_add(res, &st_bytes);
		iocb->ki_pos += res;
	}
	return res;
}

static ssize_t iob_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	if (!iov_iter_count(to))
		return 0;
	return is_sync_kiocb(iocb) ? do_sync(iocb, to, false) : submit_async(iocb, to, false);
}

static ssize_t iob_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	if (!iov_iter_count(from))
		return 0;
	return is_sync_kiocb(iocb) ? do_sync(iocb, from, true) : submit_async(iocb, from, true);
}

/*
 * A flush takes one service time. Killable, not interruptible: io_uring's
 * io-wq workers, which run IORING_OP_FSYNC, see a pending "signal" whenever
 * task work is queued for them (TIF_NOTIFY_SIGNAL, 6.12 here), and an
 * interruptible sleep then ended at once with -EINTR; a fatal signal still
 * ends it.
 */
static int iob_fsync(struct file *file, loff_t start, loff_t end, int datasync)
{
	ktime_t until = ktime_add_ns(ktime_get(), service_ns(0));

	atomic64_inc(&st_fsyncs);
	while (ktime_before(ktime_get(), until)) {
		if (fatal_signal_pending(current))
			return -EINTR;
		set_current_state(TASK_KILLABLE);
		schedule_hrtimeout(&until, HRTIMER_MODE_ABS);
	}
	return 0;
}

static __poll_t iob_poll(struct file *file, poll_table *wait)
{
	struct iob_chan *c = file->private_data;
	__poll_t mask = 0;
	ktime_t now;

	/* Register first, then look at the clock: a timer that fires in between
	 * either wakes us or is already visible in `now` (never a lost wakeup). */
	poll_wait(file, &c->wq, wait);
	/* Every slot in service: nothing can be submitted, so nothing is ready
	 * (io_uring would otherwise retry a refused request at once, 128 times,
	 * then hand it to an io-wq thread). The channel is listed to be woken
	 * when a slot frees, on its own queue: a second queue in a poll table
	 * is refused by kernel AIO's IOCB_CMD_POLL (EINVAL). Listed first and
	 * looked at again, a slot freed in between is never missed. */
	if (atomic_read(&st_inflight) >= READ_ONCE(qdepth)) {
		spin_lock_bh(&slots_lock);
		if (list_empty(&c->slot_wait))
			list_add_tail(&c->slot_wait, &slot_waiters);
		spin_unlock_bh(&slots_lock);
		if (atomic_read(&st_inflight) >= READ_ONCE(qdepth))
			return 0;
	}
	now = ktime_get();
	if (ktime_compare(now, READ_ONCE(c->read_ready)) >= 0)
		mask |= EPOLLIN | EPOLLRDNORM;
	if (ktime_compare(now, READ_ONCE(c->write_free)) >= 0)
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}

static int iob_fasync(int fd, struct file *file, int on)
{
	struct iob_chan *c = file->private_data;

	return fasync_helper(fd, file, on, &c->fasync);
}

static int iob_open(struct inode *inode, struct file *file)
{
	struct iob_chan *c = kzalloc(sizeof(*c), GFP_KERNEL);
	ktime_t first;

	if (!c)
		return -ENOMEM;
	spin_lock_init(&c->lock);
	init_waitqueue_head(&c->wq);
	INIT_LIST_HEAD(&c->slot_wait);
	iob_timer_setup(&c->read_timer, read_ready_fn);
	iob_timer_setup(&c->write_timer, write_free_fn);
	/* Like a device that has to fetch its first block: ready one latency after open. */
	first = ktime_add_ns(ktime_get(), service_ns(0));
	c->read_ready = first;
	c->write_free = first;
	hrtimer_start(&c->read_timer, first, HRTIMER_MODE_ABS_SOFT);
	hrtimer_start(&c->write_timer, first, HRTIMER_MODE_ABS_SOFT);
	file->private_data = c;
	file->f_mode |= FMODE_NOWAIT;
	atomic_inc(&iob_open_count);
	return 0;
}

static int iob_release(struct inode *inode, struct file *file)
{
	struct iob_chan *c = file->private_data;

	hrtimer_cancel(&c->read_timer);
	hrtimer_cancel(&c->write_timer);
	spin_lock_bh(&slots_lock);
	list_del_init(&c->slot_wait);
	spin_unlock_bh(&slots_lock);
	fasync_helper(-1, file, 0, &c->fasync);
	kfree(c);
	atomic_dec(&iob_open_count);
	return 0;
}

static const struct file_operations iob_fops = {
	.owner = THIS_MODULE,
	.open = iob_open,
	.release = iob_release,
	.read_iter = iob_read_iter,
	.write_iter = iob_write_iter,
	.poll = iob_poll,
	.fasync = iob_fasync,
	.fsync = iob_fsync,
	.llseek = default_llseek, /* seekable: offsets select the pattern */
};

/* ---- sysfs: /sys/class/misc/iobench/ ------------------------------------------ */

#define IOB_STAT64(name, var)                                                            \
	static ssize_t name##_show(struct device *d, struct device_attribute *a, char *buf) \
	{                                                                                   \
		return sysfs_emit(buf, "%lld\n", (long long)atomic64_read(&var));            \
	}                                                                                   \
	static DEVICE_ATTR_RO(name)

IOB_STAT64(requests, st_requests);
IOB_STAT64(bytes, st_bytes);
IOB_STAT64(signals, st_signals);
IOB_STAT64(errors_injected, st_errors);
IOB_STAT64(write_mismatches, st_mismatches);
IOB_STAT64(max_inflight, st_max_inflight);
IOB_STAT64(fsyncs, st_fsyncs);

/* Requests taken back by io_cancel; absent where the kernel cannot say
 * which kiocbs came through kernel AIO (before IOCB_AIO_RW). */
#ifdef IOCB_AIO_RW
IOB_STAT64(cancelled, st_cancelled);
#endif

static ssize_t inflight_show(struct device *d, struct device_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&st_inflight));
}
static DEVICE_ATTR_RO(inflight);

static ssize_t open_channels_show(struct device *d, struct device_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&iob_open_count));
}
static DEVICE_ATTR_RO(open_channels);

/* Writing anything resets the counters (not the parameters). */
static ssize_t reset_store(struct device *d, struct device_attribute *a, const char *buf, size_t n)
{
	atomic64_set(&st_requests, 0);
	atomic64_set(&st_bytes, 0);
	atomic64_set(&st_signals, 0);
	atomic64_set(&st_errors, 0);
	atomic64_set(&st_mismatches, 0);
	atomic64_set(&st_max_inflight, atomic_read(&st_inflight));
	atomic64_set(&st_cancelled, 0);
	atomic64_set(&st_fsyncs, 0);
	return n;
}
static DEVICE_ATTR_WO(reset);

static struct attribute *iob_attrs[] = {
	&dev_attr_requests.attr, &dev_attr_bytes.attr, &dev_attr_signals.attr,
	&dev_attr_errors_injected.attr, &dev_attr_write_mismatches.attr, &dev_attr_max_inflight.attr,
	&dev_attr_inflight.attr, &dev_attr_open_channels.attr, &dev_attr_reset.attr, &dev_attr_fsyncs.attr,
#ifdef IOCB_AIO_RW
	&dev_attr_cancelled.attr,
#endif
	NULL,
};
ATTRIBUTE_GROUPS(iob);

static struct miscdevice iob_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "iobench",
	.fops = &iob_fops,
	.mode = 0666, /* a test device: anyone may measure against it */
	.groups = iob_groups,
};

/*
 * The sector format is shared with iobench (src/core/pattern.h), whose tests
 * check the same golden vector: refuse to load when the two have drifted.
 */
static int iob_selftest(void)
{
	u64 w[IOB_WORDS];

	fill_sector(w, 12800);
	if (w[0] != IOB_MAGIC || w[1] != 12800 || w[3] != 0x0e3a2eabaa850073ULL ||
	    w[4] != 0x41c03e8087d59550ULL || w[63] != 0xbc776a99004bf26cULL) {
		pr_err("iobench: data pattern self-test failed: the module and iobench disagree\n");
		return -EINVAL;
	}
	return 0;
}

static int __init iob_init(void)
{
	int i, ret;

	ret = iob_selftest();
	if (ret)
		return ret;

	iob_slots = kvcalloc(IOB_MAX_QDEPTH, sizeof(*iob_slots), GFP_KERNEL);
	if (!iob_slots)
		return -ENOMEM;
	for (i = 0; i < IOB_MAX_QDEPTH; i++) {
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
		hrtimer_setup(&iob_slots[i].timer, async_done_fn, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_SOFT);
#else
		hrtimer_init(&iob_slots[i].timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_SOFT);
		iob_slots[i].timer.function = async_done_fn;
#endif
	}
	ret = misc_register(&iob_misc);
	if (ret)
		kvfree(iob_slots);
	return ret;
}

static void __exit iob_exit(void)
{
	int i;

	misc_deregister(&iob_misc);
	/* No file is open (the module is pinned while one is), so no kiocb is in
	 * flight; cancelling is a belt against a timer that has yet to return. */
	for (i = 0; i < IOB_MAX_QDEPTH; i++)
		hrtimer_cancel(&iob_slots[i].timer);
	kvfree(iob_slots);
}

module_init(iob_init);
module_exit(iob_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("iobench developers");
MODULE_DESCRIPTION("iobench test device with a known service time");
MODULE_VERSION("0.1.0");
