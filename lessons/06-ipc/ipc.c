// Lesson 06: pipes and queues.  Messages between a producer and a consumer.
//
// Processes do not share memory (lesson 02), so they talk through the
// kernel.  This lesson moves numbered messages from a producer to a consumer
// three ways and lets the consumer check that each one arrived exactly once
// and in order:
//   pipe  a byte stream in the kernel, one way (Python's Pipe(duplex=False),
//         and the channel under multiprocessing.Queue);
//   mq    a POSIX message queue: the kernel keeps whole messages, in order
//         (our queue: Python's multiprocessing.Queue);
//   ring  a single-producer single-consumer ring in shared memory, with C11
//         atomics: no system call per message at all.
// It also fills a pipe on purpose, to show a writer blocked by a slow reader,
// and measures the throughput of the three in the same run.  And it shows
// Python's Pipe() as the two-way channel it is: a socketpair, over which a
// parent asks and a child answers (--demo duplex).
#include "lab/lab.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static const char *demo = "all";
static const char *transport = "all";
static long messages = 50000;
static int msg_size = 1024;
static int delay_ms = 25;
static int pipe_size;
static long round_trips = 1000;

static const struct lab_option options[] = {
	{ "demo", LAB_OPT_CHOICE, &demo, "queue|duplex|transfer|full|sizes|pointer|all",
	  "which part to run (default all)", 0, 0 },
	{ "round-trips", LAB_OPT_LONG, &round_trips, "N",
	  "duplex part: questions the parent end asks (default 1000)", 1,
	  10000000 },
	{ "transport", LAB_OPT_CHOICE, &transport, "pipe|mq|ring|all",
	  "what carries the messages in the transfer part (default all)", 0, 0 },
	{ "messages", LAB_OPT_LONG, &messages, "N",
	  "messages per transport in the transfer part (default 50000)", 1,
	  100000000 },
	{ "size", LAB_OPT_INT, &msg_size, "BYTES",
	  "bytes per message, 24..4096 (default 1024)", 24, PIPE_BUF },
	{ "delay", LAB_OPT_INT, &delay_ms, "MS",
	  "full part: the slow consumer pauses MS ms per read (default 25)", 0,
	  1000 },
	{ "pipe-size", LAB_OPT_INT, &pipe_size, "BYTES",
	  "full part: set the pipe's capacity (F_SETPIPE_SZ; default: the system's)",
	  4096, 1048576 },
	{ 0 },
};

static const struct lab_lesson lesson = {
	.slug = "ipc",
	.title = "Pipes and queues: a producer and a consumer",
	.about = "A producer sends numbered messages to a consumer through a pipe, a POSIX\n"
	         "message queue and a shared-memory ring; the consumer checks that each\n"
	         "arrives exactly once and in order.  A slow consumer makes the pipe fill\n"
	         "up and the producer block.",
	.workers = 2,
	.mode = LAB_PROCESS,
	.modes = LAB_MODES_BOTH,
	.runs = 1,
	.options = options,
};

enum transport { T_PIPE, T_MQ, T_RING, T_COUNT };
static const char *const transport_name[T_COUNT] = { "pipe", "mq", "ring" };

/* Every message starts with this header; the rest is payload. */
struct msg {
	uint64_t seq; /* 0, 1, 2, ... in the order the producer sent them */
	uint32_t len; /* bytes in the whole message */
	uint32_t tag; /* low byte of seq, repeated at the end of the payload */
};
#define MSG_END UINT64_MAX /* seq of the "no more messages" marker */

/* DOC: ring
 * A single-producer single-consumer ring in shared memory.  head counts
 * messages written, tail messages read; slot i % RING_SLOTS holds message i.
 * Only the producer writes head, only the consumer writes tail, so no lock
 * is needed: each side publishes its progress with a release store and
 * reads the other's with an acquire load.  The release on head orders the
 * memcpy into the slot before it, so a consumer that sees head move sees
 * the message too; the release on tail tells the producer the slot may be
 * overwritten.  head and tail sit on separate cache lines so the two sides
 * do not fight over one line. */
#define RING_SLOTS 64
struct ring {
	_Alignas(64) _Atomic uint64_t head; /* written by the producer */
	_Alignas(64) _Atomic uint64_t tail; /* written by the consumer */
	_Alignas(64) unsigned char slot[RING_SLOTS][PIPE_BUF];
};

/* What the consumer found: in shared memory, so the parent sees it. */
struct check {
	long sent, received;
	long out_of_order; /* messages whose seq was not the next expected */
	long duplicates, missing, corrupt;
	uint64_t t_first_ns, t_last_ns;
	int cpu_producer, cpu_consumer; /* where each side ended (sched_getcpu) */
};

/* One producer/consumer pair and the channel between them. */
struct xfer {
	enum transport t;
	int fd[2];         /* pipe: read end, write end */
	mqd_t mq;
	struct ring *ring;
	long n;            /* messages to send */
	size_t size;       /* bytes per message */
	struct check *check;
	unsigned char *seen; /* n flags, shared: duplicate detection */
	_Atomic int64_t *delivered, *in_flight, *per_transport;
};

/* The "full pipe" part: results of one slow-consumer run. */
struct full {
	int fd[2];
	int capacity;      /* F_GETPIPE_SZ */
	long n;
	long blocked;      /* writes that found the pipe full */
	uint64_t blocked_ns;
	long max_in_flight;
	long received;
	_Atomic int64_t *in_flight, *blocked_ctr, *received_ctr;
};

/* Write all of buf, or die: a pipe write may be short only when interrupted
 * or (above PIPE_BUF) when the pipe fills in the middle. */
static void
write_all(struct lab_worker *w, int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t k = write(fd, p, len);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			lab_die(w->lab, "worker %d: write to pipe:", w->no);
		p += k;
		len -= (size_t)k;
	}
}

/* Read exactly len bytes; 0 at end of file, 1 when done. */
static int
read_all(struct lab_worker *w, int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t k = read(fd, p + got, len - got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			lab_die(w->lab, "worker %d: read from pipe:", w->no);
		if (k == 0) {
			if (got)
				lab_die(w->lab, "worker %d: pipe ended inside a message",
				        w->no);
			return 0;
		}
		got += (size_t)k;
	}
	return 1;
}

static void
make_msg(unsigned char *buf, uint64_t seq, size_t size)
{
	struct msg m = { seq, (uint32_t)size, (uint32_t)(seq & 0xff) };

	memcpy(buf, &m, sizeof m);
	buf[size - 1] = (unsigned char)(seq & 0xff);
}

/* Wait for the ring to have room (producer) or a message (consumer).
 * Spin a little, since on two cores the other side is usually about to
 * move; then give the CPU away: on one core the other side would
 * otherwise run only at the next timer preemption. */
static void
ring_wait(struct lab_worker *w, unsigned *spins)
{
	if (++*spins < 100)
		return;
	if (*spins == 100)
		lab_set_state(w, BOARD_ST_BLOCKED);
	sched_yield();
}

/* DOC: ring-put
 * Put one message in the ring.  *tail_seen is the producer's last look at
 * tail: while it shows room, there is room (tail only grows), so the
 * producer reads the consumer's cache line only when the ring looks full,
 * not for every message. */
static void
ring_put(struct lab_worker *w, struct ring *r, uint64_t *tail_seen,
         const void *msg, size_t size)
{
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	unsigned spins = 0;

	while (head - *tail_seen == RING_SLOTS) {
		/* acquire: the consumer is done with the slot we reuse */
		*tail_seen = atomic_load_explicit(&r->tail, memory_order_acquire);
		if (head - *tail_seen == RING_SLOTS)
			ring_wait(w, &spins);
	}
	if (spins >= 100)
		lab_set_state(w, BOARD_ST_RUNNING);
	memcpy(r->slot[head % RING_SLOTS], msg, size);
	/* release: the message is in the slot before head moves */
	atomic_store_explicit(&r->head, head + 1, memory_order_release);
}

/* Take one message out; *head_seen is the consumer's last look at head. */
static void
ring_get(struct lab_worker *w, struct ring *r, uint64_t *head_seen, void *msg,
         size_t size)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	unsigned spins = 0;

	while (*head_seen == tail) {
		/* acquire: pairs with the producer's release of head, so the
		 * slot's bytes are visible once head shows them */
		*head_seen = atomic_load_explicit(&r->head, memory_order_acquire);
		if (*head_seen == tail)
			ring_wait(w, &spins);
	}
	if (spins >= 100)
		lab_set_state(w, BOARD_ST_RUNNING);
	memcpy(msg, r->slot[tail % RING_SLOTS], size);
	/* release: we are done with the slot */
	atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
}

/* DOC: producer */
static int
producer(struct lab_worker *w)
{
	struct xfer *x = w->arg;
	unsigned char *buf = calloc(1, x->size);
	uint64_t tail_seen = 0;
	char name[BOARD_NAME_LEN];

	if (!buf)
		lab_die(w->lab, "out of memory");
	snprintf(name, sizeof name, "%s producer", transport_name[x->t]);
	lab_set_name(w, name);
	if (x->t == T_PIPE && w->mode == LAB_PROCESS)
		close(x->fd[0]); /* this process only writes */
	for (long i = 0; i <= x->n; i++) {
		uint64_t seq = i < x->n ? (uint64_t)i : MSG_END;

		make_msg(buf, seq, x->size);
		lab_step_val(w, "send", (int64_t)i);
		switch (x->t) {
		case T_PIPE:
			if (seq == MSG_END)
				break; /* the pipe's end is end of file */
			write_all(w, x->fd[1], buf, x->size);
			break;
		case T_MQ:
			/* Blocks while the queue holds mq_maxmsg messages. */
			while (mq_send(x->mq, (char *)buf, x->size, 0) < 0)
				if (errno != EINTR)
					lab_die(w->lab, "worker %d: mq_send:", w->no);
			break;
		case T_RING:
			ring_put(w, x->ring, &tail_seen, buf, x->size);
			break;
		default:
			break;
		}
		if ((i & 255) == 0 || i == x->n) {
			lab_progress(w, (uint64_t)i, (uint64_t)x->n);
			if (x->t == T_PIPE) {
				int q = 0;

				/* FIONREAD: bytes written and not yet read */
				if (ioctl(x->fd[1], FIONREAD, &q) == 0)
					lab_counter_store(x->in_flight, q);
			}
		}
	}
	x->check->sent = x->n;
	x->check->cpu_producer = sched_getcpu();
	if (x->t == T_PIPE)
		close(x->fd[1]); /* the consumer's read() now returns 0 */
	free(buf);
	return 0;
}

/* DOC: consumer
 * The consumer knows only what arrives.  It expects seq 0, 1, 2, ...; a seq
 * seen twice is a duplicate, one that is not the next expected is out of
 * order, and any seq never seen by the end is missing. */
static int
consumer(struct lab_worker *w)
{
	struct xfer *x = w->arg;
	struct check *c = x->check;
	unsigned char *buf = calloc(1, x->size);
	uint64_t next = 0, head_seen = 0;
	char name[BOARD_NAME_LEN];

	if (!buf)
		lab_die(w->lab, "out of memory");
	snprintf(name, sizeof name, "%s consumer", transport_name[x->t]);
	lab_set_name(w, name);
	if (x->t == T_PIPE && w->mode == LAB_PROCESS)
		close(x->fd[1]); /* else our own copy would keep the pipe open */
	for (;;) {
		struct msg m;

		lab_step(w, "receive");
		switch (x->t) {
		case T_PIPE:
			/* A pipe is a stream of bytes: a message is whatever
			 * the reader says it is, so read exactly one. */
			if (!read_all(w, x->fd[0], buf, x->size))
				memcpy(buf, &(struct msg){ MSG_END, 0, 0 }, sizeof m);
			break;
		case T_MQ: {
			ssize_t k;

			/* The queue hands over whole messages, oldest first. */
			while ((k = mq_receive(x->mq, (char *)buf, x->size, NULL)) < 0)
				if (errno != EINTR)
					lab_die(w->lab, "worker %d: mq_receive:", w->no);
			if ((size_t)k != x->size)
				c->corrupt++;
			break;
		}
		case T_RING:
			ring_get(w, x->ring, &head_seen, buf, x->size);
			break;
		default:
			break;
		}
		memcpy(&m, buf, sizeof m);
		if (m.seq == MSG_END)
			break;
		if (c->received == 0)
			c->t_first_ns = board_now_ns();
		c->received++;
		if (m.len != x->size || m.tag != (m.seq & 0xff) ||
		    buf[x->size - 1] != (unsigned char)(m.seq & 0xff) ||
		    m.seq >= (uint64_t)x->n) {
			c->corrupt++;
			continue;
		}
		if (m.seq != next)
			c->out_of_order++;
		next = m.seq + 1;
		if (x->seen[m.seq]++)
			c->duplicates++;
		if ((c->received & 255) == 0) {
			lab_progress(w, (uint64_t)c->received, (uint64_t)x->n);
			atomic_fetch_add(x->delivered, 256);
			atomic_fetch_add(x->per_transport, 256);
		}
	}
	c->t_last_ns = board_now_ns();
	c->cpu_consumer = sched_getcpu();
	atomic_fetch_add(x->delivered, c->received & 255);
	atomic_fetch_add(x->per_transport, c->received & 255);
	lab_progress(w, (uint64_t)c->received, (uint64_t)x->n);
	lab_counter_store(x->in_flight, 0);
	for (long i = 0; i < x->n; i++)
		if (!x->seen[i])
			c->missing++;
	if (x->t == T_PIPE)
		close(x->fd[0]);
	free(buf);
	return 0;
}

/* The two sides of one transport.  Worker numbers differ per transport so
 * each pair has its own lanes in the timeline. */
static int
pair_body(struct lab_worker *w)
{
	return w->no % 2 ? producer(w) : consumer(w);
}

static char mq_name[64];

/* DOC: mq-open
 * A POSIX message queue has a name in a kernel file system (/dev/mqueue when
 * mounted).  We make the name unique (pid and a counter), refuse to reuse
 * one that exists (O_EXCL), let only ourselves open it (0600), and unlink
 * it at once: the queue lives on as long as a descriptor refers to it, and
 * nothing is left behind however the lesson ends.  (The moment between
 * open and unlink is closed too: signals wait, and lab_name_guard()'s
 * helper unlinks the name if even a SIGKILL lands in it.) */
static mqd_t
open_queue(struct lab *lab, size_t size)
{
	static int serial;
	struct mq_attr attr = { 0 };
	sigset_t all, old;
	mqd_t q;
	int e;

	attr.mq_maxmsg = 10; /* the default limit for unprivileged users */
	attr.mq_msgsize = (long)size;
	snprintf(mq_name, sizeof mq_name, "/racelab-ipc-%d-%d", (int)getpid(),
	         ++serial);
	lab_name_guard(lab, LAB_NAME_MQ, mq_name, true);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	q = mq_open(mq_name, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
	e = errno;
	if (q != (mqd_t)-1 && mq_unlink(mq_name) < 0) {
		e = errno;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		errno = e;
		lab_die(lab, "mq_unlink %s:", mq_name);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	lab_name_guard(lab, LAB_NAME_MQ, mq_name, false);
	errno = e;
	if (q == (mqd_t)-1)
		lab_die(lab, "mq_open %s:", mq_name);
	return q;
}

struct xfer_result {
	bool ran;
	struct check c;
	double ms, mb_s, msgs_s;
};

static void
run_transfer(struct lab *lab, enum transport t, struct xfer_result *res,
             _Atomic int64_t *delivered, _Atomic int64_t *in_flight,
             struct check *check, unsigned char *seen, struct ring *ring)
{
	struct board_counter *pt;
	struct xfer x = { 0 };
	struct lab_team *team;
	char cname[BOARD_NAME_LEN];

	snprintf(cname, sizeof cname, "%s msgs", transport_name[t]);
	pt = lab_counter(lab, cname, 0);
	lab_counter_expect(pt, messages);
	lab_counter_kind(pt, BOARD_COUNTER_COUNT);
	memset(check, 0, sizeof *check);
	memset(seen, 0, (size_t)messages);
	x.t = t;
	x.n = messages;
	x.size = (size_t)msg_size;
	x.check = check;
	x.seen = seen;
	x.ring = ring;
	x.delivered = delivered;
	x.in_flight = in_flight;
	x.per_transport = &pt->value;
	x.fd[0] = x.fd[1] = -1;
	x.mq = (mqd_t)-1;
	if (t == T_PIPE && pipe(x.fd) < 0)
		lab_die(lab, "pipe:");
	if (t == T_MQ)
		x.mq = open_queue(lab, x.size);
	if (t == T_RING) {
		atomic_store(&ring->head, 0);
		atomic_store(&ring->tail, 0);
	}
	team = lab_spawn_ex(lab, lab->o.mode, 1 + 2 * (int)t, 2, pair_body, &x);
	if (t == T_PIPE && lab->o.mode == LAB_PROCESS) {
		/* The children have their own copies; ours would keep the
		 * pipe open and the consumer would never see end of file. */
		close(x.fd[0]);
		close(x.fd[1]);
	}
	if (lab_join(team) != LAB_JOIN_OK)
		lab_die(lab, "the %s producer or consumer failed", transport_name[t]);
	lab_team_free(team);
	if (t == T_MQ)
		mq_close(x.mq);
	res->ran = true;
	res->c = *check;
	/* From the first message received to the last: the cost of moving the
	 * data, not of starting the workers. */
	res->ms = (double)(check->t_last_ns - check->t_first_ns) / 1e6;
	if (res->ms <= 0)
		res->ms = 1e-3;
	res->msgs_s = (double)check->received / (res->ms / 1e3);
	res->mb_s = res->msgs_s * (double)msg_size / (1024.0 * 1024.0);
}

/* DOC: full-producer
 * The pipe is full when the readers are behind by its capacity.  We ask
 * with O_NONBLOCK first so the lesson can see and count the moment it is
 * full (EAGAIN); then we wait in poll() for room, exactly where a blocking
 * write() would have slept. */
static int
full_producer(struct lab_worker *w)
{
	struct full *f = w->arg;
	unsigned char buf[PIPE_BUF];

	lab_set_name(w, "producer");
	if (w->mode == LAB_PROCESS)
		close(f->fd[0]);
	for (long i = 0; i < f->n; i++) {
		int q = 0;

		make_msg(buf, (uint64_t)i, sizeof buf);
		lab_step_val(w, "write", (int64_t)i);
		while (write(f->fd[1], buf, sizeof buf) < 0) {
			struct pollfd pfd = { f->fd[1], POLLOUT, 0 };
			uint64_t t0;

			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				lab_die(w->lab, "producer: write:");
			f->blocked++;
			atomic_fetch_add(f->blocked_ctr, 1);
			lab_set_state(w, BOARD_ST_BLOCKED);
			lab_step(w, "pipe full: blocked in write");
			t0 = board_now_ns();
			while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
				;
			f->blocked_ns += board_now_ns() - t0;
			lab_set_state(w, BOARD_ST_RUNNING);
		}
		if (ioctl(f->fd[1], FIONREAD, &q) == 0) {
			lab_counter_store(f->in_flight, q);
			if (q > f->max_in_flight)
				f->max_in_flight = q;
		}
		lab_progress(w, (uint64_t)i + 1, (uint64_t)f->n);
	}
	close(f->fd[1]);
	return 0;
}

static int
full_consumer(struct lab_worker *w)
{
	struct full *f = w->arg;
	unsigned char buf[PIPE_BUF];

	lab_set_name(w, "slow consumer");
	if (w->mode == LAB_PROCESS)
		close(f->fd[1]);
	for (;;) {
		int q = 0;

		lab_sleep(w, delay_ms / 1000.0); /* the slow part */
		lab_step(w, "read");
		if (!read_all(w, f->fd[0], buf, sizeof buf))
			break;
		f->received++;
		atomic_fetch_add(f->received_ctr, 1);
		if (ioctl(f->fd[0], FIONREAD, &q) == 0)
			lab_counter_store(f->in_flight, q);
		lab_progress(w, (uint64_t)f->received, (uint64_t)f->n);
	}
	close(f->fd[0]);
	return 0;
}

static int
full_body(struct lab_worker *w)
{
	return w->no % 2 ? full_producer(w) : full_consumer(w);
}

static void
run_full(struct lab *lab, struct full *f)
{
	struct board_counter *inflight, *blocked, *received, *cap;
	struct lab_team *team;

	memset(f, 0, sizeof *f);
	if (pipe(f->fd) < 0)
		lab_die(lab, "pipe:");
	if (pipe_size && fcntl(f->fd[1], F_SETPIPE_SZ, pipe_size) < 0)
		lab_die(lab, "--pipe-size %d:", pipe_size);
	f->capacity = fcntl(f->fd[1], F_GETPIPE_SZ);
	if (f->capacity < PIPE_BUF)
		lab_die(lab, "F_GETPIPE_SZ:");
	/* Only the write end: the producer's writes return EAGAIN instead
	 * of sleeping; the reader is unchanged. */
	fcntl(f->fd[1], F_SETFL, fcntl(f->fd[1], F_GETFL) | O_NONBLOCK);
	f->n = 3L * f->capacity / PIPE_BUF; /* three pipefuls */
	received = lab_counter(lab, "read", 0);
	lab_counter_expect(received, f->n);
	lab_counter_kind(received, BOARD_COUNTER_COUNT);
	inflight = lab_counter(lab, "bytes in pipe", 0);
	lab_counter_expect(inflight, 0);
	lab_counter_kind(inflight, BOARD_COUNTER_GAUGE);
	cap = lab_counter(lab, "pipe capacity", f->capacity);
	lab_counter_expect(cap, f->capacity);
	lab_counter_kind(cap, BOARD_COUNTER_GAUGE);
	blocked = lab_counter(lab, "writes blocked", 0);
	f->in_flight = &inflight->value;
	f->blocked_ctr = &blocked->value;
	f->received_ctr = &received->value;
	lab_say(lab, "\nFull pipe: capacity %d bytes; the producer writes %ld "
	        "messages of %d bytes, the consumer reads one every %d ms.\n",
	        f->capacity, f->n, PIPE_BUF, delay_ms);
	team = lab_spawn_ex(lab, lab->o.mode, 7, 2, full_body, f);
	if (lab->o.mode == LAB_PROCESS) {
		close(f->fd[0]);
		close(f->fd[1]);
	}
	if (lab_join(team) != LAB_JOIN_OK)
		lab_die(lab, "the full-pipe producer or consumer failed");
	lab_team_free(team);
	lab_result(lab, "  the pipe held at most %ld bytes; the producer found it "
	        "full %ld times and waited %.0f ms in all; %ld messages read\n",
	        f->max_in_flight, f->blocked, (double)f->blocked_ns / 1e6,
	        f->received);
}

/* DOC: queue-hello
 * The tutorial's first queue example:
 *     def worker(queue): queue.put("Processed Data")
 *     p.start(); p.join(); print(queue.get())
 * The message waits in the kernel's queue after the worker has ended. */
static int
hello_worker(struct lab_worker *w)
{
	mqd_t q = *(mqd_t *)w->arg;
	static const char text[] = "Processed Data";

	lab_set_name(w, "worker");
	lab_step(w, "queue.put");
	if (mq_send(q, text, sizeof text, 0) < 0)
		lab_die(w->lab, "worker: mq_send:");
	lab_say(w->lab, "worker (pid %d): put \"%s\" on the queue\n",
	        (int)getpid(), text);
	return 0;
}

static pid_t
run_queue_hello(struct lab *lab, char *got, size_t len)
{
	pid_t worker;
	struct lab_team *team;
	mqd_t q = open_queue(lab, 64);
	char buf[64];
	ssize_t k;

	team = lab_spawn_ex(lab, lab->o.mode, 9, 1, hello_worker, &q);
	if (lab_join(team) != LAB_JOIN_OK)
		lab_die(lab, "the queue worker failed");
	worker = team->w[0].pid;
	lab_team_free(team);
	k = mq_receive(q, buf, sizeof buf, NULL);
	if (k < 0)
		lab_die(lab, "mq_receive:");
	buf[k > 0 ? k - 1 : 0] = '\0';
	snprintf(got, len, "%s", buf);
	mq_close(q);
	lab_result(lab, "main (pid %d): worker joined; queue.get() -> \"%s\"\n",
	           (int)getpid(), got);
	return worker;
}

/* DOC: duplex
 * Python's Pipe() is two-way: parent_conn, child_conn = Pipe(), and either
 * end can send() and recv().  On Unix multiprocessing makes it with
 * socketpair(); a pipe is one-way (Pipe(duplex=False) is an os.pipe()).
 * CPython's socketpair is SOCK_STREAM, and its Connection frames every
 * object with a 4-byte length (connection.py, 3.11); SOCK_SEQPACKET gives
 * the same whole messages with no framing.  Both ends here are workers
 * the lesson forks, siblings: "parent_conn" names the end, not a parent.
 *     parent: conn.send(x); y = conn.recv()
 *     child:  while (x := conn.recv()) ...: conn.send(x * x)
 * The parent closes its sending side when done (shutdown SHUT_WR): the
 * child's next recv() returns 0, its EOFError. */
struct duplex {
	int sv[2];
	int first;          /* worker number of the parent end */
	long asked, answered_ok, child_got;
	double us_per_round_trip;
	struct board_counter *right; /* answers right, on the board */
};

static int
duplex_body(struct lab_worker *w)
{
	struct duplex *d = w->arg;
	bool parent = w->no == d->first;
	int fd = d->sv[parent ? 0 : 1];
	int64_t x, y;
	ssize_t k;

	if (w->mode == LAB_PROCESS)
		close(d->sv[parent ? 1 : 0]); /* this process uses one end */
	lab_set_name(w, parent ? "parent_conn" : "child_conn");
	if (parent) {
		uint64_t t0 = board_now_ns();

		for (x = 1; x <= round_trips; x++) {
			lab_step_val(w, "conn.send(x)", x);
			if (send(fd, &x, sizeof x, 0) != (ssize_t)sizeof x)
				lab_die(w->lab, "parent_conn: send:");
			d->asked++;
			lab_set_state(w, BOARD_ST_BLOCKED);
			lab_step(w, "conn.recv()");
			while ((k = recv(fd, &y, sizeof y, 0)) < 0 && errno == EINTR)
				;
			lab_set_state(w, BOARD_ST_RUNNING);
			if (k != (ssize_t)sizeof y)
				lab_die(w->lab, "parent_conn: the child hung up");
			/* In order: the answer to x comes back before the next x. */
			if (y == x * x) {
				d->answered_ok++;
				atomic_fetch_add(&d->right->value, 1);
			}
			lab_progress(w, (uint64_t)x, (uint64_t)round_trips);
		}
		d->us_per_round_trip = (double)(board_now_ns() - t0) / 1e3 /
		                       (double)round_trips;
		shutdown(fd, SHUT_WR); /* the child's recv() now returns 0 */
		return 0;
	}
	for (;;) {
		lab_set_state(w, BOARD_ST_BLOCKED);
		lab_step(w, "conn.recv()");
		while ((k = recv(fd, &x, sizeof x, 0)) < 0 && errno == EINTR)
			;
		lab_set_state(w, BOARD_ST_RUNNING);
		if (k == 0)
			break; /* the parent closed its end */
		if (k != (ssize_t)sizeof x)
			lab_die(w->lab, "child_conn: recv:");
		d->child_got++;
		y = x * x;
		lab_step_val(w, "conn.send(x * x)", y);
		if (send(fd, &y, sizeof y, 0) != (ssize_t)sizeof y)
			lab_die(w->lab, "child_conn: send:");
	}
	return 0;
}

static void
run_duplex(struct lab *lab, struct duplex *d)
{
	struct lab_team *team;

	*d = (struct duplex){ .first = 12 };
	d->right = lab_counter(lab, "answers right", 0);
	lab_counter_expect(d->right, round_trips);
	lab_counter_kind(d->right, BOARD_COUNTER_COUNT);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, d->sv) < 0)
		lab_die(lab, "socketpair:");
	team = lab_spawn_ex(lab, lab->o.mode, d->first, 2, duplex_body, d);
	if (lab_join(team) != LAB_JOIN_OK)
		lab_die(lab, "a duplex worker failed");
	lab_team_free(team);
	close(d->sv[0]);
	close(d->sv[1]);
	lab_result(lab, "\nPipe(): parent_conn asked %ld questions, child_conn got %ld "
	       "and answered; %ld answers right and in order; %.1f us per round "
	       "trip (%s)\n", d->asked, d->child_got, d->answered_ok,
	       d->us_per_round_trip, lab_mode_name(lab->o.mode));
}

/* ---- What travels: bytes, and what they cost --------------------------- */

#define NSIZES 5
static const long size_bytes[NSIZES] = { 1L << 10, 64L << 10, 1L << 20,
	                                  16L << 20, 64L << 20 };
static const char *const size_key[NSIZES] = { "1kib", "64kib", "1mib",
	                                       "16mib", "64mib" };
#define SIZE_ROUNDS 3 /* each size is sent this many times, best kept */

struct sizes {
	int data[2], go[2];
	double ms[NSIZES], mb_s[NSIZES];
	bool intact[NSIZES];
};

static unsigned char
size_byte(long i, long size)
{
	return (unsigned char)((i * 31 + size) & 0xff);
}

static int
sizes_sender(struct lab_worker *w)
{
	struct sizes *z = w->arg;
	unsigned char *buf = malloc((size_t)size_bytes[NSIZES - 1]);

	if (!buf)
		lab_die(w->lab, "out of memory");
	lab_set_name(w, "sender");
	if (w->mode == LAB_PROCESS) {
		close(z->data[0]);
		close(z->go[1]);
	}
	for (int s = 0; s < NSIZES; s++) {
		/* Filled (and so in memory) before the clock starts. */
		for (long i = 0; i < size_bytes[s]; i++)
			buf[i] = size_byte(i, size_bytes[s]);
		for (int r = 0; r < SIZE_ROUNDS; r++) {
			uint64_t t0;
			char go;

			lab_set_state(w, BOARD_ST_BLOCKED);
			if (!read_all(w, z->go[0], &go, 1))
				lab_die(w->lab, "sender: the lesson hung up");
			lab_set_state(w, BOARD_ST_RUNNING);
			t0 = board_now_ns();
			write_all(w, z->data[1], &t0, sizeof t0);
			write_all(w, z->data[1], buf, (size_t)size_bytes[s]);
			lab_progress(w, (uint64_t)(s * SIZE_ROUNDS + r + 1),
			             NSIZES * SIZE_ROUNDS);
		}
	}
	free(buf);
	return 0;
}

/* DOC: sizes
 * One message of each size, from a worker to the lesson through a pipe,
 * timed from the worker's first write to the lesson's last read (the
 * clock is the same for both: CLOCK_MONOTONIC).  The worker waits for a
 * go byte before each message, so the lesson is already waiting in
 * read(). */
static void
run_sizes(struct lab *lab, struct sizes *z)
{
	unsigned char *buf = malloc((size_t)size_bytes[NSIZES - 1]);
	struct lab_team *team;

	if (!buf || pipe(z->data) < 0 || pipe(z->go) < 0)
		lab_die(lab, "pipe:");
	memset(buf, 0, (size_t)size_bytes[NSIZES - 1]); /* in memory now */
	team = lab_spawn_ex(lab, lab->o.mode, 14, 1, sizes_sender, z);
	if (lab->o.mode == LAB_PROCESS) {
		close(z->data[1]);
		close(z->go[0]);
	}
	lab_say(lab, "\nOne message at a time through a pipe\n(it holds %d "
	        "bytes), best of %d:\n", fcntl(z->data[0], F_GETPIPE_SZ),
	        SIZE_ROUNDS);
	for (int s = 0; s < NSIZES; s++) {
		long n = size_bytes[s];

		z->ms[s] = 1e300;
		z->intact[s] = true;
		for (int r = 0; r < SIZE_ROUNDS; r++) {
			uint64_t t0;
			double ms;

			if (write(z->go[1], "g", 1) != 1)
				lab_die(lab, "write go:");
			if (!read_all(team->w, z->data[0], &t0, sizeof t0) ||
			    !read_all(team->w, z->data[0], buf, (size_t)n))
				lab_die(lab, "the sender hung up");
			ms = (double)(board_now_ns() - t0) / 1e6;
			if (ms < z->ms[s])
				z->ms[s] = ms;
			/* Every 4093rd byte and the last: whole, in order. */
			for (long i = 0; i < n; i += 4093)
				z->intact[s] = z->intact[s] && buf[i] == size_byte(i, n);
			z->intact[s] = z->intact[s] && buf[n - 1] == size_byte(n - 1, n);
		}
		z->mb_s[s] = (double)n / (1 << 20) / (z->ms[s] / 1e3);
		lab_result(lab, "  %8ld B %8.3f ms %7.0f MB/s %s\n", n, z->ms[s],
		           z->mb_s[s], z->intact[s] ? "whole" : "DAMAGED");
	}
	if (lab_join(team) != LAB_JOIN_OK)
		lab_die(lab, "the sender failed");
	lab_team_free(team);
	if (lab->o.mode == LAB_THREAD) {
		close(z->data[1]);
		close(z->go[0]);
	}
	close(z->data[0]);
	close(z->go[1]);
	free(buf);
}

#define POINTER_TEXT "made by the lesson after the fork"
struct pointer_obj {
	long value;
	char text[64];
};

struct pointer {
	int fd[2];
	/* Written by the child: */
	long before_value;   /* what it found at the first address */
	bool before_read;
	int after_errno;     /* 0 when it could read the second address */
	char after_text[64]; /* what it found there */
};

struct pointer_msg {
	uint64_t before, after; /* addresses, as numbers */
};

/* Read len bytes at addr in our own memory without risking SIGSEGV. */
static int
peek_self(uint64_t addr, void *out, size_t len)
{
	struct iovec local = { out, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };

	return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) ==
	       (ssize_t)len ? 0 : errno;
}

static int
pointer_child(struct lab_worker *w)
{
	struct pointer *p = w->arg;
	struct pointer_msg m;
	struct pointer_obj o;

	lab_set_name(w, "child");
	if (w->mode == LAB_PROCESS)
		close(p->fd[1]);
	lab_set_state(w, BOARD_ST_BLOCKED);
	if (!read_all(w, p->fd[0], &m, sizeof m))
		lab_die(w->lab, "child: no addresses came");
	lab_set_state(w, BOARD_ST_RUNNING);
	p->before_read = peek_self(m.before, &o, sizeof o) == 0;
	p->before_value = p->before_read ? o.value : 0;
	p->after_errno = peek_self(m.after, &o, sizeof o);
	if (p->after_errno == 0)
		snprintf(p->after_text, sizeof p->after_text, "%.*s",
		         (int)sizeof o.text - 1, o.text);
	return 0;
}

struct pointer_out {
	long parent_before, child_before;
	bool before_read, after_fault, found_parent_data;
	int after_errno;
};

/* DOC: pointer
 * An address is only a number: sent to another process it names a place
 * in *that* process's memory.  The lesson sends the child two addresses:
 * one of an object made before the fork (the child has its own copy
 * there, which the lesson's later change does not reach) and one of an
 * object made after it (nothing is there in the child).  The child looks
 * with process_vm_readv() on itself, which returns EFAULT for an address
 * with no memory, where a plain read would die of SIGSEGV. */
static void
run_pointer(struct lab *lab, struct pointer *p, struct pointer_out *out)
{
	struct pointer_obj *before = calloc(1, sizeof *before), *after;
	struct pointer_msg m;
	struct lab_team *team;

	memset(p, 0, sizeof *p);
	if (!before || pipe(p->fd) < 0)
		lab_die(lab, "pipe:");
	before->value = 1;
	team = lab_spawn_ex(lab, lab->o.mode, 15, 1, pointer_child, p);
	/* After the fork: a change to the old object, and a new object. */
	before->value = 3;
	after = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
	             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (after == MAP_FAILED)
		lab_die(lab, "mmap:");
	after->value = 2;
	snprintf(after->text, sizeof after->text, "%s", POINTER_TEXT);
	m.before = (uint64_t)(uintptr_t)before;
	m.after = (uint64_t)(uintptr_t)after;
	write_all(team->w, p->fd[1], &m, sizeof m);
	if (lab_join(team) != LAB_JOIN_OK)
		lab_die(lab, "the pointer child failed");
	lab_team_free(team);
	close(p->fd[0]);
	close(p->fd[1]);
	out->parent_before = before->value;
	out->child_before = p->before_value;
	out->before_read = p->before_read;
	out->after_errno = p->after_errno;
	out->after_fault = p->after_errno == EFAULT;
	out->found_parent_data = (p->before_read && p->before_value == 3) ||
	                         (p->after_errno == 0 &&
	                          strcmp(p->after_text, POINTER_TEXT) == 0);
	lab_say(lab, "\nThe lesson sent the %s two addresses through a pipe:\n",
	        lab->o.mode == LAB_PROCESS ? "child process" : "child thread");
	lab_result(lab, "  %#llx, made before the start:\n    the lesson's "
	           "holds %ld, the child's %ld (%s)\n", (unsigned long long)m.before,
	           before->value, p->before_value,
	           p->before_value == before->value ? "the same memory" : "a copy");
	if (p->after_errno)
		lab_result(lab, "  %#llx, made after the start:\n    nothing there "
		           "in the child (%s)\n", (unsigned long long)m.after,
		           p->after_errno == EFAULT ? "EFAULT" : strerror(p->after_errno));
	else
		lab_result(lab, "  %#llx, made after the start:\n    the child found "
		           "\"%s\"%s\n", (unsigned long long)m.after, p->after_text,
		           out->found_parent_data ? " (the same memory)" : "");
	munmap(after, 1 << 20);
	free(before);
}

/* After the lesson: can the queue's name still be opened? */
static bool
mq_left_behind(void)
{
	mqd_t q;

	if (!mq_name[0])
		return false;
	q = mq_open(mq_name, O_RDONLY);
	if (q == (mqd_t)-1)
		return false;
	mq_close(q);
	return true;
}

static void
json_transfer(struct lab_json *j, const char *t, const struct xfer_result *r)
{
	char k[64];

#define KEY(s) (snprintf(k, sizeof k, "%s_%s", t, s), k)
	lab_json_int(j, KEY("sent"), r->c.sent);
	lab_json_int(j, KEY("received"), r->c.received);
	lab_json_int(j, KEY("out_of_order"), r->c.out_of_order);
	lab_json_int(j, KEY("duplicates"), r->c.duplicates);
	lab_json_int(j, KEY("missing"), r->c.missing);
	lab_json_int(j, KEY("corrupt"), r->c.corrupt);
	lab_json_bool(j, KEY("exactly_once_in_order"),
	              r->c.received == r->c.sent && !r->c.out_of_order &&
	              !r->c.duplicates && !r->c.missing && !r->c.corrupt);
	lab_json_num(j, KEY("ms"), r->ms);
	lab_json_num(j, KEY("mb_s"), r->mb_s);
	lab_json_num(j, KEY("msgs_s"), r->msgs_s);
	lab_json_int(j, KEY("cpu_producer"), r->c.cpu_producer);
	lab_json_int(j, KEY("cpu_consumer"), r->c.cpu_consumer);
#undef KEY
}

int
main(int argc, char **argv)
{
	struct lab lab;
	bool all = false, want[T_COUNT] = { false };
	bool do_queue, do_duplex, do_transfer, do_full, do_sizes, do_pointer;
	struct check *check;
	unsigned char *seen;
	struct ring *ring;
	struct full *full;
	struct duplex *duplex;
	struct sizes *sizes;
	struct pointer *pointer;

	lab_init(&lab, &lesson, argc, argv);
	all = strcmp(demo, "all") == 0;
	do_queue = all || strcmp(demo, "queue") == 0;
	do_duplex = all || strcmp(demo, "duplex") == 0;
	do_transfer = all || strcmp(demo, "transfer") == 0;
	do_full = all || strcmp(demo, "full") == 0;
	do_sizes = all || strcmp(demo, "sizes") == 0;
	do_pointer = all || strcmp(demo, "pointer") == 0;
	for (int t = 0; t < T_COUNT; t++)
		want[t] = strcmp(transport, "all") == 0 ||
		          strcmp(transport, transport_name[t]) == 0;
	/* Shared with process workers: allocate before any fork. */
	check = lab_shared_alloc(&lab, sizeof *check);
	seen = lab_shared_alloc(&lab, (size_t)messages);
	ring = lab_shared_alloc(&lab, sizeof *ring);
	full = lab_shared_alloc(&lab, sizeof *full);
	duplex = lab_shared_alloc(&lab, sizeof *duplex);
	sizes = lab_shared_alloc(&lab, sizeof *sizes);
	pointer = lab_shared_alloc(&lab, sizeof *pointer);

	for (int run = 1; run <= lab.o.runs; run++) {
		struct xfer_result res[T_COUNT] = { 0 };
		struct pointer_out ptr = { 0 };
		struct board_counter *delivered = NULL, *in_flight = NULL;
		char got[64] = "";
		pid_t queue_worker = 0;
		int64_t expect = 0;
		struct lab_json j;

		lab_run_begin(&lab, run);
		if (do_queue)
			queue_worker = run_queue_hello(&lab, got, sizeof got);
		if (do_duplex)
			run_duplex(&lab, duplex);
		if (do_transfer) {
			for (int t = 0; t < T_COUNT; t++)
				expect += want[t] ? messages : 0;
			delivered = lab_counter(&lab, "delivered", 0);
			lab_counter_expect(delivered, expect);
			lab_counter_kind(delivered, BOARD_COUNTER_COUNT);
			in_flight = lab_counter(&lab, "pipe bytes", 0);
			lab_counter_expect(in_flight, 0);
			lab_counter_kind(in_flight, BOARD_COUNTER_GAUGE);
			lab_say(&lab, "\n%ld messages of %d bytes per transport, "
			        "%s producer and consumer (%d CPU%s usable)\n",
			        messages, msg_size, lab_mode_name(lab.o.mode),
			        lab.ncpu, lab.ncpu == 1 ? "" : "s");
			for (int t = 0; t < T_COUNT; t++) {
				struct xfer_result *r = &res[t];

				if (!want[t])
					continue;
				run_transfer(&lab, (enum transport)t, r,
				             &delivered->value, &in_flight->value,
				             check, seen, ring);
				lab_result(&lab, "  %-4s  %8ld sent %8ld received  %s  "
				        "%8.1f ms %9.1f MB/s %10.0f msgs/s  CPUs %d,%d\n",
				        transport_name[t], r->c.sent, r->c.received,
				        r->c.received == r->c.sent && !r->c.out_of_order &&
				        !r->c.duplicates && !r->c.missing && !r->c.corrupt
				        ? "each once, in order" : "WRONG              ",
				        r->ms, r->mb_s, r->msgs_s, r->c.cpu_producer,
				        r->c.cpu_consumer);
			}
			if (res[T_PIPE].ran && res[T_RING].ran)
				lab_result(&lab, "  the ring moved %.1fx the pipe's bytes per second\n",
				        res[T_RING].mb_s / res[T_PIPE].mb_s);
		}
		if (do_full)
			run_full(&lab, full);
		if (do_sizes)
			run_sizes(&lab, sizes);
		if (do_pointer)
			run_pointer(&lab, pointer, &ptr);
		lab_run_end(&lab);
		/* Under the shell both: the text, and the record for its
		 * RACELAB_JSON_FD (lab.o.json is set then too). */
		if (!lab.o.json)
			continue;
		lab_json_begin(&j);
		lab_json_int(&j, "run", run);
		lab_json_str(&j, "mode", lab_mode_name(lab.o.mode));
		lab_json_str(&j, "demo", demo);
		lab_json_int(&j, "ncpu", lab.ncpu);
		if (do_queue) {
			lab_json_str(&j, "queue_got", got);
			lab_json_int(&j, "queue_got_len", (long long)strlen(got));
			lab_json_int(&j, "queue_worker_pid", queue_worker);
			lab_json_int(&j, "lesson_pid", getpid());
		}
		if (do_duplex) {
			lab_json_int(&j, "duplex_asked", duplex->asked);
			lab_json_int(&j, "duplex_child_got", duplex->child_got);
			lab_json_int(&j, "duplex_answered_ok", duplex->answered_ok);
			lab_json_num(&j, "duplex_us_per_round_trip",
			             duplex->us_per_round_trip);
		}
		if (do_transfer) {
			lab_json_int(&j, "messages", messages);
			lab_json_int(&j, "size", msg_size);
			for (int t = 0; t < T_COUNT; t++)
				if (res[t].ran)
					json_transfer(&j, transport_name[t], &res[t]);
			if (res[T_PIPE].ran && res[T_RING].ran)
				lab_json_num(&j, "ring_vs_pipe",
				             res[T_RING].mb_s / res[T_PIPE].mb_s);
		}
		if (do_full) {
			lab_json_int(&j, "full_capacity", full->capacity);
			lab_json_int(&j, "full_messages", full->n);
			lab_json_int(&j, "full_received", full->received);
			lab_json_int(&j, "full_max_in_flight", full->max_in_flight);
			lab_json_int(&j, "full_blocked", full->blocked);
			lab_json_num(&j, "full_blocked_ms",
			             (double)full->blocked_ns / 1e6);
			lab_json_int(&j, "full_delay_ms", delay_ms);
		}
		if (do_sizes) {
			bool intact = true;
			char k[64];

			for (int i = 0; i < NSIZES; i++) {
				snprintf(k, sizeof k, "sizes_%s_ms", size_key[i]);
				lab_json_num(&j, k, sizes->ms[i]);
				snprintf(k, sizeof k, "sizes_%s_mb_s", size_key[i]);
				lab_json_num(&j, k, sizes->mb_s[i]);
				intact = intact && sizes->intact[i];
			}
			lab_json_bool(&j, "sizes_intact", intact);
		}
		if (do_pointer) {
			lab_json_int(&j, "pointer_parent_value", ptr.parent_before);
			lab_json_int(&j, "pointer_child_value", ptr.child_before);
			lab_json_bool(&j, "pointer_before_read", ptr.before_read);
			lab_json_int(&j, "pointer_after_errno", ptr.after_errno);
			lab_json_bool(&j, "pointer_after_fault", ptr.after_fault);
			lab_json_bool(&j, "pointer_found_parent_data",
			              ptr.found_parent_data);
		}
		if (mq_name[0]) {
			lab_json_str(&j, "mq_name", mq_name);
			lab_json_bool(&j, "mq_left", mq_left_behind());
		}
		lab_json_end(&j);
	}
	return 0;
}
