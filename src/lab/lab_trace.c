// Traces: a run's events from the board's rings, written in the Chrome
// Trace Event Format (the JSON Object Format), which Perfetto
// (ui.perfetto.dev), chrome://tracing and `racelab --replay` open.
//
// The mapping (man/racelab.1, TRACES):
//   a process track per process (the lesson's, each process worker's) and a
//   thread track per worker, with the real PIDs and TIDs ("M" process_name,
//   thread_name);
//   "B"/"E" slices: the worker's life, and inside it one slice per state
//   (running, waiting for L, critical section L, sleeping, at gate, ...);
//   "i" instants (thread scope): every probe step, named by its label (cat
//   "read" or "write" when the label says so, with the value it carries),
//   every lock wait, acquire, release, signal and wake-up;
//   "C" counters: each board counter, at its initial value, at every value a
//   probe labelled "write NAME" carried, and at its final value;
//   "s"/"f" flows: a lock released by one worker and next acquired by
//   another (the hand-off), from the release to the acquire.
#include "lab.h"

#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { TRACE_MAX_EVENTS = 1 << 20 };

struct tr_event {
	uint64_t ns;     /* CLOCK_MONOTONIC */
	/* A step's operation happens when the worker goes on from the probe:
	 * at once, or when a grant lets it leave its gate (step mode, a
	 * schedule).  Reads and writes are shown, and ordered, then. */
	uint64_t op_ns;
	int64_t value;
	uint64_t flow;   /* hand-off id (release and acquire), 0: none */
	uint32_t arg;
	uint32_t actor;  /* index into lab_trace.actor */
	uint8_t type, state;
	uint16_t line;
};

struct tr_actor {
	struct board_actor_id id;
	int run;         /* index into lab_trace.run */
	uint64_t dropped; /* this run's events overwritten before we read them */
	size_t first, n; /* its events: ev[first .. first + n) */
};

struct tr_counter {
	char name[BOARD_NAME_LEN];
	int64_t initial, final, expected;
	bool has_expected;
};

struct tr_lock {
	char name[BOARD_NAME_LEN];
	enum board_lock_kind kind;
};

struct tr_run {
	int run;
	bool sampled; /* steps recorded about one a millisecond, not all */
	pid_t pid; /* the lesson's */
	uint64_t start_ns, end_ns;
	int ncounters, nlocks;
	struct tr_counter counter[BOARD_MAX_COUNTERS];
	struct tr_lock lock[BOARD_MAX_LOCKS];
};

struct lab_trace {
	char program[64];
	char clock[16];
	char label[BOARD_MAX_LABELS][BOARD_LABEL_LEN];
	uint32_t nlabels;
	struct tr_run *run;
	size_t nrun;
	struct tr_actor *actor;
	size_t nactor, capactor;
	struct tr_event *ev;
	size_t nev, capev;
};

struct lab_trace *
lab_trace_new(const char *program)
{
	struct lab_trace *t = calloc(1, sizeof *t);

	if (t)
		snprintf(t->program, sizeof t->program, "%s", program);
	return t;
}

void
lab_trace_free(struct lab_trace *t)
{
	if (!t)
		return;
	free(t->run);
	free(t->actor);
	free(t->ev);
	free(t);
}

static bool
grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return true;
	while (n < need)
		n *= 2;
	if (!(q = realloc(*p, n * size)))
		return false;
	*p = q;
	*cap = n;
	return true;
}

static void
op_times(struct tr_event *ev, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t j = i + 1;

		ev[i].op_ns = ev[i].ns;
		if (ev[i].type != BOARD_EV_STEP || j >= n || ev[j].type != BOARD_EV_GATE)
			continue;
		while (j < n && ev[j].state == BOARD_ST_GATE)
			j++;
		ev[i].op_ns = j < n ? ev[j].ns : ev[n - 1].ns;
	}
}

void
lab_trace_add(struct lab_trace *t, const struct board *b)
{
	struct board *m = (struct board *)b;
	struct board_clock_map map;
	struct tr_run *r, *runs;
	uint32_t nact = atomic_load(&m->nactors), n;

	if (!t)
		return;
	if (!(runs = realloc(t->run, (t->nrun + 1) * sizeof *runs)))
		return;
	t->run = runs;
	r = &t->run[t->nrun];
	memset(r, 0, sizeof *r);
	board_clock_map(b, &map);
	snprintf(t->clock, sizeof t->clock, "%s", b->clock.tsc ? "tsc" : "monotonic");
	r->run = (int)atomic_load(&m->run);
	r->sampled = atomic_load(&m->clock.sampled);
	r->pid = atomic_load(&m->lesson_pid);
	r->start_ns = atomic_load(&m->run_start_ns);
	r->end_ns = atomic_load(&m->run_state) == BOARD_RUN_DONE ? atomic_load(&m->run_end_ns)
	                                                          : board_now_ns();
	n = atomic_load(&m->ncounters);
	for (uint32_t i = 0; i < n && i < BOARD_MAX_COUNTERS; i++) {
		const struct board_counter *c = &b->counter[i];
		struct tr_counter *tc = &r->counter[r->ncounters++];

		snprintf(tc->name, sizeof tc->name, "%s", c->name);
		tc->initial = atomic_load(&m->counter[i].initial);
		tc->final = atomic_load(&m->counter[i].value);
		tc->expected = atomic_load(&m->counter[i].expected);
		tc->has_expected = atomic_load(&m->counter[i].has_expected);
	}
	n = atomic_load(&m->nlocks);
	for (uint32_t i = 0; i < n && i < BOARD_MAX_LOCKS; i++) {
		snprintf(r->lock[i].name, sizeof r->lock[i].name, "%s", b->lock[i].name);
		r->lock[i].kind = atomic_load(&m->lock[i].kind);
		r->nlocks++;
	}
	t->nlabels = atomic_load(&m->nlabels);
	if (t->nlabels > BOARD_MAX_LABELS)
		t->nlabels = BOARD_MAX_LABELS;
	memcpy(t->label, b->label, sizeof t->label[0] * t->nlabels);
	if (nact > BOARD_MAX_ACTORS)
		nact = BOARD_MAX_ACTORS;
	for (uint32_t i = 0; i < nact; i++) {
		const struct board_actor *a = &b->actor[i];
		uint64_t head = atomic_load(&m->actor[i].ring_head);
		uint64_t mark = atomic_load(&m->actor[i].ring_mark), from = mark;
		uint64_t folded;
		struct tr_actor *ta;

		if (head == mark)
			continue;
		if (head - mark > board_ring_len(a))
			from = head - board_ring_len(a);
		/* At most about a million events a run (a file of a hundred
		 * MB or so), shared among the actors: the most recent. */
		if (head - from > TRACE_MAX_EVENTS / nact)
			from = head - TRACE_MAX_EVENTS / nact;
		if (!grow((void **)&t->actor, &t->capactor, t->nactor + 1, sizeof *t->actor) ||
		    !grow((void **)&t->ev, &t->capev, t->nev + (head - from), sizeof *t->ev))
			return;
		ta = &t->actor[t->nactor];
		if (!board_actor_read(a, &ta->id) || ta->id.pid <= 0)
			continue;
		ta->run = (int)t->nrun;
		ta->first = t->nev;
		ta->n = 0;
		folded = 0;
		for (uint64_t k = from; k < head; k++) {
			struct board_event_copy e;
			struct tr_event *te = &t->ev[t->nev];

			if (!board_event_at(a, k, &e))
				continue;
			/* A read's value (lab_read_seen), after its step (and
			 * the gate it may have waited at): the step carries it,
			 * as a write's step does. */
			if (e.type == BOARD_EV_READ) {
				size_t j = t->nev;

				while (j > ta->first && t->nev - j < 8 && t->ev[j - 1].type != BOARD_EV_STEP)
					j--;
				if (j > ta->first && !(t->ev[j - 1].arg & BOARD_STEP_HAS_VALUE)) {
					t->ev[j - 1].arg |= BOARD_STEP_HAS_VALUE;
					t->ev[j - 1].value = e.value;
					folded++;
					continue;
				}
			}
			te->ns = board_clock_ns(&map, e.ticks);
			/* Stamped before the run's start (its main's events at
			 * reset) or by a clock step: kept in order. */
			if (ta->n && te->ns < t->ev[t->nev - 1].ns)
				te->ns = t->ev[t->nev - 1].ns;
			te->value = e.value;
			te->arg = e.arg;
			te->type = (uint8_t)e.type;
			te->state = (uint8_t)e.state;
			te->line = (uint16_t)e.line;
			te->flow = 0;
			te->actor = (uint32_t)t->nactor;
			t->nev++;
			ta->n++;
		}
		ta->dropped = (head - mark) - ta->n - folded;
		op_times(&t->ev[ta->first], ta->n);
		t->nactor++;
	}
	t->nrun++;
}

/* ---- writing ------------------------------------------------------------ */

struct out {
	FILE *f;
	uint64_t t0; /* ns of ts 0: the first run's start */
	bool first;
	bool failed;
};

static void
emit(struct out *o, json_t *ev)
{
	if (!ev) {
		o->failed = true;
		return;
	}
	if (!o->first)
		fputs(",\n", o->f);
	o->first = false;
	if (json_dumpf(ev, o->f, JSON_COMPACT | JSON_REAL_PRECISION(15)) < 0)
		o->failed = true;
	json_decref(ev);
}

static double
us(const struct out *o, uint64_t ns)
{
	return ns >= o->t0 ? (double)(ns - o->t0) / 1000.0 : -(double)(o->t0 - ns) / 1000.0;
}

static json_t *
event(const struct out *o, const char *ph, const char *name, const char *cat,
      pid_t pid, pid_t tid, uint64_t ns)
{
	json_t *e = json_pack("{s:s,s:s,s:I,s:I,s:f}", "ph", ph, "name", name,
	                      "pid", (json_int_t)pid, "tid", (json_int_t)tid,
	                      "ts", us(o, ns));

	if (e && cat)
		json_object_set_new(e, "cat", json_string(cat));
	return e;
}

static const char *
label_of(const struct lab_trace *t, uint32_t id)
{
	id &= ~BOARD_STEP_HAS_VALUE;
	return id >= 1 && id <= t->nlabels ? t->label[id - 1] : "step";
}

static const struct tr_lock *
lock_of(const struct tr_run *r, uint32_t idx)
{
	static const struct tr_lock none = {"?", BOARD_LOCK_NONE};

	return (int)idx < r->nlocks ? &r->lock[idx] : &none;
}

/* A state slice's name: what a person reads on the track. */
static void
state_name(const struct tr_run *r, enum board_state s, uint32_t lock, bool has_lock,
           char *buf, size_t len)
{
	const char *ln = has_lock ? lock_of(r, lock)->name : NULL;

	switch (s) {
	case BOARD_ST_WAIT_LOCK:
		snprintf(buf, len, ln ? "waiting for %s" : "waiting", ln);
		break;
	case BOARD_ST_CRITICAL:
		snprintf(buf, len, ln ? "critical section %s" : "critical section", ln);
		break;
	default:
		snprintf(buf, len, "%s", board_state_name(s));
		break;
	}
}

/* States that are a slice on the track (the others are after the end). */
static bool
slice_state(unsigned s)
{
	return s == BOARD_ST_STARTING || s == BOARD_ST_RUNNING || s == BOARD_ST_WAIT_LOCK ||
	       s == BOARD_ST_CRITICAL || s == BOARD_ST_SLEEPING || s == BOARD_ST_GATE ||
	       s == BOARD_ST_BLOCKED;
}

static const char *
step_cat(const char *label)
{
	if (strncmp(label, "read", 4) == 0)
		return "read";
	if (strncmp(label, "write", 5) == 0)
		return "write";
	return "step";
}

static void
instant(struct out *o, const struct lab_trace *t, const struct tr_run *r,
        const struct tr_actor *a, const struct tr_event *e)
{
	char name[BOARD_LABEL_LEN + 32];
	const struct tr_lock *l = lock_of(r, e->arg);
	const char *cat = "lock";
	json_t *ev, *args = json_object();

	switch (e->type) {
	case BOARD_EV_STEP: {
		const char *lb = label_of(t, e->arg);

		snprintf(name, sizeof name, "%s", lb);
		cat = step_cat(lb);
		if (e->arg & BOARD_STEP_HAS_VALUE)
			json_object_set_new(args, "value", json_integer(e->value));
		else
			json_object_set_new(args, "step", json_integer(e->value));
		break;
	}
	case BOARD_EV_LOCK_WAIT:
	case BOARD_EV_LOCK_ACQUIRE:
	case BOARD_EV_LOCK_RELEASE:
	case BOARD_EV_SIGNAL:
	case BOARD_EV_WOKEN: {
		static const char *const verb[BOARD_EV_COUNT] = {
			[BOARD_EV_LOCK_WAIT] = "wait", [BOARD_EV_LOCK_ACQUIRE] = "acquire",
			[BOARD_EV_LOCK_RELEASE] = "release", [BOARD_EV_SIGNAL] = "signal",
			[BOARD_EV_WOKEN] = "woken",
		};
		const char *v = verb[e->type];

		if (e->type == BOARD_EV_SIGNAL && e->value)
			v = "broadcast";
		snprintf(name, sizeof name, "%s %s", v, l->name);
		json_object_set_new(args, "lock", json_string(l->name));
		json_object_set_new(args, "kind", json_string(board_lock_kind_name(l->kind)));
		json_object_set_new(args, "op", json_string(v));
		break;
	}
	case BOARD_EV_START:
		snprintf(name, sizeof name, "start");
		cat = "worker";
		break;
	case BOARD_EV_END:
		snprintf(name, sizeof name, "end");
		cat = "worker";
		json_object_set_new(args, "exit", json_integer(e->value));
		break;
	case BOARD_EV_GATE:
		snprintf(name, sizeof name, "gate: %s", label_of(t, e->arg));
		cat = "gate";
		break;
	case BOARD_EV_READ:
	case BOARD_EV_WRITE:
		snprintf(name, sizeof name, "%s", e->type == BOARD_EV_READ ? "read" : "write");
		cat = name;
		json_object_set_new(args, "value", json_integer(e->value));
		break;
	default:
		json_decref(args);
		return;
	}
	if (e->line)
		json_object_set_new(args, "line", json_integer(e->line));
	if (e->op_ns != e->ns)
		json_object_set_new(args, "probe_ts", json_real(us(o, e->ns)));
	ev = event(o, "i", name, cat, a->id.pid, a->id.tid, e->op_ns);
	if (ev) {
		json_object_set_new(ev, "s", json_string("t"));
		json_object_set_new(ev, "args", args);
	} else {
		json_decref(args);
	}
	emit(o, ev);
}

static void
flow(struct out *o, const struct tr_run *r, const struct tr_actor *a,
     const struct tr_event *e, bool start)
{
	char name[BOARD_NAME_LEN + 16];
	json_t *ev;

	snprintf(name, sizeof name, "hand-off %s", lock_of(r, e->arg)->name);
	ev = event(o, start ? "s" : "f", name, "lock", a->id.pid, a->id.tid, e->ns);
	if (ev) {
		json_object_set_new(ev, "id", json_integer((json_int_t)e->flow));
		if (!start)
			json_object_set_new(ev, "bp", json_string("e"));
	}
	emit(o, ev);
}

static void
slice(struct out *o, const struct tr_actor *a, bool begin, const char *name,
      const char *cat, uint64_t ns, json_t *args)
{
	json_t *ev = event(o, begin ? "B" : "E", name, cat, a->id.pid, a->id.tid, ns);

	if (ev && args)
		json_object_set_new(ev, "args", args);
	else
		json_decref(args);
	emit(o, ev);
}

static void
write_actor(struct out *o, const struct lab_trace *t, const struct tr_actor *a)
{
	const struct tr_run *r = &t->run[a->run];
	const struct tr_event *ev = &t->ev[a->first];
	char life[BOARD_NAME_LEN + 16], cur[BOARD_NAME_LEN + 40];
	unsigned state = BOARD_ST_IDLE;
	const struct tr_event *pending = NULL;
	uint32_t held[32], waiting = 0;
	int nheld = 0;

	if (!a->n)
		return;
	snprintf(life, sizeof life, "%s", a->id.name[0] ? a->id.name : "main");
	slice(o, a, true, life, "worker",  ev[0].ns,
	      json_pack("{s:I,s:I}", "worker", (json_int_t)a->id.worker_no, "run",
	                (json_int_t)r->run));
	for (size_t i = 0; i < a->n; i++) {
		const struct tr_event *e = &ev[i];
		bool leaving = e->type == BOARD_EV_LOCK_RELEASE || e->type == BOARD_EV_END;

		if (leaving && pending && pending->op_ns <= e->ns) {
			instant(o, t, r, a, pending);
			pending = NULL;
		}
		if (leaving) {
			instant(o, t, r, a, e);
			if (e->flow && e->type == BOARD_EV_LOCK_RELEASE)
				flow(o, r, a, e, true);
		}
		/* The locks it holds, newest last: a critical section is
		 * named after the newest; a wait after the lock waited for. */
		if (e->type == BOARD_EV_LOCK_ACQUIRE && nheld < 32)
			held[nheld++] = e->arg;
		if (e->type == BOARD_EV_LOCK_RELEASE)
			for (int h = nheld - 1; h >= 0; h--)
				if (held[h] == e->arg) {
					memmove(&held[h], &held[h + 1],
					        (size_t)(nheld - h - 1) * sizeof held[0]);
					nheld--;
					break;
				}
		if (e->type == BOARD_EV_LOCK_WAIT)
			waiting = e->arg;
		{
			bool crit = e->state == BOARD_ST_CRITICAL, wait = e->state == BOARD_ST_WAIT_LOCK;
			bool has = (crit && nheld) || wait;
			uint32_t lk = wait ? waiting : nheld ? held[nheld - 1] : 0;
			char name[sizeof cur];

			state_name(r, (enum board_state)e->state, lk, has, name, sizeof name);
			if (e->state != state || (slice_state(state) && strcmp(name, cur) != 0)) {
				if (slice_state(state))
					slice(o, a, false, cur, "state", e->ns, NULL);
				state = e->state;
				snprintf(cur, sizeof cur, "%s", name);
				if (slice_state(state)) {
					json_t *args = json_pack("{s:s}", "state",
					                         board_state_name((enum board_state)state));

					if (has)
						json_object_set_new(args, "lock",
						                    json_string(lock_of(r, lk)->name));
					slice(o, a, true, cur, "state", e->ns, args);
				}
			}
		}
		/* A step parked at a gate: its instant once the worker goes on. */
		while (pending && pending->op_ns <= e->ns) {
			instant(o, t, r, a, pending);
			pending = NULL;
		}
		if (!leaving) {
			if (e->type == BOARD_EV_STEP && e->op_ns != e->ns)
				pending = e;
			else
				instant(o, t, r, a, e);
			if (e->flow && e->type == BOARD_EV_LOCK_ACQUIRE)
				flow(o, r, a, e, false);
		}
	}
	if (pending)
		instant(o, t, r, a, pending);
	if (slice_state(state))
		slice(o, a, false, cur, "state", ev[a->n - 1].ns, NULL);
	slice(o, a, false, life, "worker", ev[a->n - 1].ns, NULL);
}

static int
by_time(const void *x, const void *y)
{
	const struct tr_event *a = *(const struct tr_event *const *)x;
	const struct tr_event *b = *(const struct tr_event *const *)y;

	if (a->ns != b->ns)
		return a->ns < b->ns ? -1 : 1;
	return a < b ? -1 : a > b;
}

static int
by_op_time(const void *x, const void *y)
{
	const struct tr_event *a = *(const struct tr_event *const *)x;
	const struct tr_event *b = *(const struct tr_event *const *)y;

	if (a->op_ns != b->op_ns)
		return a->op_ns < b->op_ns ? -1 : 1;
	return a < b ? -1 : a > b;
}

/* Hand-offs: per run and lock, in time order, a release followed by the
 * next acquire of the same lock by another worker. */
static void
pair_flows(struct lab_trace *t)
{
	const struct tr_event **v = malloc((t->nev ? t->nev : 1) * sizeof *v);
	uint64_t id = 0;
	size_t n = 0;

	if (!v)
		return;
	for (size_t i = 0; i < t->nev; i++) {
		t->ev[i].flow = 0;
		if (t->ev[i].type == BOARD_EV_LOCK_ACQUIRE || t->ev[i].type == BOARD_EV_LOCK_RELEASE)
			v[n++] = &t->ev[i];
	}
	qsort(v, n, sizeof *v, by_time);
	for (size_t i = 0; i < n; i++) {
		struct tr_event *rel = (struct tr_event *)v[i];

		if (rel->type != BOARD_EV_LOCK_RELEASE)
			continue;
		for (size_t j = i + 1; j < n; j++) {
			struct tr_event *acq = (struct tr_event *)v[j];

			if (t->actor[acq->actor].run != t->actor[rel->actor].run ||
			    acq->arg != rel->arg)
				continue;
			if (acq->type == BOARD_EV_LOCK_RELEASE)
				break; /* released again first: not this one's hand-off */
			if (acq->actor != rel->actor)
				rel->flow = acq->flow = ++id;
			break;
		}
	}
	free(v);
}

static void
write_counters(struct out *o, const struct lab_trace *t, size_t ri)
{
	const struct tr_run *r = &t->run[ri];

	for (int c = 0; c < r->ncounters; c++) {
		const struct tr_counter *tc = &r->counter[c];
		const struct tr_event **v;
		size_t n = 0;
		char want[BOARD_NAME_LEN + 8];

		snprintf(want, sizeof want, "write %s", tc->name);
		v = malloc((t->nev ? t->nev : 1) * sizeof *v);
		if (!v) {
			o->failed = true;
			return;
		}
		for (size_t a = 0; a < t->nactor; a++) {
			const struct tr_actor *ta = &t->actor[a];

			if (ta->run != (int)ri)
				continue;
			for (size_t i = 0; i < ta->n; i++) {
				const struct tr_event *e = &t->ev[ta->first + i];

				if (e->type == BOARD_EV_STEP && (e->arg & BOARD_STEP_HAS_VALUE) &&
				    strcmp(label_of(t, e->arg), want) == 0)
					v[n++] = e;
			}
		}
		qsort(v, n, sizeof *v, by_op_time);
		emit(o, json_pack("{s:s,s:s,s:I,s:f,s:{s:I}}", "ph", "C", "name", tc->name,
		                  "pid", (json_int_t)r->pid, "ts", us(o, r->start_ns),
		                  "args", tc->name, (json_int_t)tc->initial));
		for (size_t i = 0; i < n; i++)
			emit(o, json_pack("{s:s,s:s,s:I,s:f,s:{s:I}}", "ph", "C", "name", tc->name,
			                  "pid", (json_int_t)r->pid,
			                  "ts", us(o, v[i]->op_ns > r->start_ns ? v[i]->op_ns : r->start_ns),
			                  "args", tc->name, (json_int_t)v[i]->value));
		emit(o, json_pack("{s:s,s:s,s:I,s:f,s:{s:I}}", "ph", "C", "name", tc->name,
		                  "pid", (json_int_t)r->pid,
		                  "ts", us(o, n && v[n - 1]->op_ns > r->end_ns ? v[n - 1]->op_ns : r->end_ns),
		                  "args", tc->name, (json_int_t)tc->final));
		free(v);
	}
}

static void
write_metadata(struct out *o, const struct lab_trace *t)
{
	for (size_t r = 0; r < t->nrun; r++) {
		char pname[96];
		bool seen = false;

		for (size_t q = 0; q < r; q++)
			seen |= t->run[q].pid == t->run[r].pid;
		if (seen)
			continue;
		snprintf(pname, sizeof pname, "%s (pid %d)", t->program, (int)t->run[r].pid);
		emit(o, json_pack("{s:s,s:s,s:I,s:I,s:{s:s}}", "ph", "M", "name",
		                  "process_name", "pid", (json_int_t)t->run[r].pid, "tid",
		                  (json_int_t)t->run[r].pid, "args", "name", pname));
	}
	for (size_t i = 0; i < t->nactor; i++) {
		const struct tr_actor *a = &t->actor[i];
		const struct tr_run *r = &t->run[a->run];
		char pname[96], tname[64];
		bool seen = false;

		for (size_t j = 0; j < i; j++)
			seen |= t->actor[j].id.pid == a->id.pid;
		for (size_t q = 0; q < t->nrun; q++)
			seen |= t->run[q].pid == a->id.pid;
		if (!seen) {
			if (a->id.pid == r->pid)
				snprintf(pname, sizeof pname, "%s (pid %d)", t->program, (int)a->id.pid);
			else
				snprintf(pname, sizeof pname, "%s %s (run %d)", t->program,
				         a->id.name, r->run);
			emit(o, json_pack("{s:s,s:s,s:I,s:I,s:{s:s}}", "ph", "M", "name",
			                  "process_name", "pid", (json_int_t)a->id.pid, "tid",
			                  (json_int_t)a->id.pid, "args", "name", pname));
		}
		if (t->nrun > 1)
			snprintf(tname, sizeof tname, "%s (run %d)", a->id.name, r->run);
		else
			snprintf(tname, sizeof tname, "%s", a->id.name);
		emit(o, json_pack("{s:s,s:s,s:I,s:I,s:{s:s,s:I,s:I,s:s}}", "ph", "M", "name",
		                  "thread_name", "pid", (json_int_t)a->id.pid, "tid",
		                  (json_int_t)a->id.tid, "args", "name", tname, "worker",
		                  (json_int_t)a->id.worker_no, "run", (json_int_t)r->run, "kind",
		                  a->id.kind == BOARD_KIND_PROCESS ? "process" : "thread"));
		emit(o, json_pack("{s:s,s:s,s:I,s:I,s:{s:I}}", "ph", "M", "name",
		                  "thread_sort_index", "pid", (json_int_t)a->id.pid, "tid",
		                  (json_int_t)a->id.tid, "args", "sort_index",
		                  (json_int_t)a->id.worker_no));
	}
}

/* What replay needs beyond the events: the runs, their counters (with
 * what a correct run ends at) and locks, and what the rings dropped. */
static json_t *
racelab_object(const struct out *o, const struct lab_trace *t)
{
	json_t *runs = json_array();

	for (size_t i = 0; i < t->nrun; i++) {
		const struct tr_run *r = &t->run[i];
		json_t *cs = json_array(), *ls = json_array();
		json_int_t dropped = 0;

		for (int c = 0; c < r->ncounters; c++) {
			json_t *jc = json_pack("{s:s,s:I,s:I}", "name", r->counter[c].name,
			                       "initial", (json_int_t)r->counter[c].initial,
			                       "final", (json_int_t)r->counter[c].final);

			if (r->counter[c].has_expected)
				json_object_set_new(jc, "expected",
				                    json_integer(r->counter[c].expected));
			json_array_append_new(cs, jc);
		}
		for (int l = 0; l < r->nlocks; l++)
			json_array_append_new(ls, json_pack("{s:s,s:s}", "name", r->lock[l].name,
			                                    "kind",
			                                    board_lock_kind_name(r->lock[l].kind)));
		for (size_t a = 0; a < t->nactor; a++)
			if (t->actor[a].run == (int)i)
				dropped += (json_int_t)t->actor[a].dropped;
		json_array_append_new(runs, json_pack("{s:I,s:I,s:f,s:f,s:o,s:o,s:I,s:b}", "run",
		                                      (json_int_t)r->run, "pid",
		                                      (json_int_t)r->pid, "start_us",
		                                      us(o, r->start_ns), "end_us",
		                                      us(o, r->end_ns), "counters", cs,
		                                      "locks", ls, "dropped", dropped,
		                                      "steps_sampled", r->sampled));
	}
	return json_pack("{s:s,s:s,s:I,s:o}", "program", t->program, "clock", t->clock,
	                 "version", (json_int_t)1, "runs", runs);
}

static int
fail(char *err, size_t len, const char *what, const char *path)
{
	snprintf(err, len, "%s %s: %s", what, path, strerror(errno));
	return -1;
}

int
lab_trace_write(const struct lab_trace *tc, const char *path, char *err, size_t errlen)
{
	struct lab_trace *t = (struct lab_trace *)tc;
	struct out o = {.first = true};
	char tmp[4096], dir[4096], *slash;
	json_t *extra;
	int fd, e;

	snprintf(dir, sizeof dir, "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		slash[1] = '\0';
	else
		dir[0] = '\0';
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.%s.XXXXXX", dir,
	                     slash ? path + (slash - dir) + 1 : path) >= sizeof tmp) {
		errno = ENAMETOOLONG;
		return fail(err, errlen, "cannot write", path);
	}
	fd = mkstemp(tmp);
	if (fd < 0)
		return fail(err, errlen, "cannot write", path);
	fchmod(fd, 0644);
	if (!(o.f = fdopen(fd, "w"))) {
		e = errno;
		close(fd);
		unlink(tmp);
		errno = e;
		return fail(err, errlen, "cannot write", path);
	}
	o.t0 = t->nrun ? t->run[0].start_ns : 0;
	pair_flows(t);
	fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", o.f);
	write_metadata(&o, t);
	for (size_t i = 0; i < t->nactor; i++)
		write_actor(&o, t, &t->actor[i]);
	for (size_t r = 0; r < t->nrun; r++)
		write_counters(&o, t, r);
	fputs("\n],\n\"racelab\":", o.f);
	extra = racelab_object(&o, t);
	if (!extra || json_dumpf(extra, o.f, JSON_COMPACT | JSON_REAL_PRECISION(15)) < 0)
		o.failed = true;
	json_decref(extra);
	fputs("}\n", o.f);
	if (o.failed)
		errno = ENOMEM;
	if (o.failed || ferror(o.f) || fflush(o.f) != 0 || fsync(fd) != 0) {
		e = errno;
		fclose(o.f);
		unlink(tmp);
		errno = e ? e : EIO;
		return fail(err, errlen, "cannot write", path);
	}
	if (fclose(o.f) != 0 || rename(tmp, path) != 0) {
		e = errno;
		unlink(tmp);
		errno = e;
		return fail(err, errlen, "cannot write", path);
	}
	return 0;
}

const char *
lab_trace_path_bad(const char *path, char *buf, size_t len)
{
	char dir[4096], *slash;
	struct stat st;

	if (!*path)
		return "--trace-out: an empty file name";
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(buf, len, "--trace-out: %s is a directory", path);
		return buf;
	}
	snprintf(dir, sizeof dir, "%s", path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		dir[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof dir, ".");
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(buf, len, "--trace-out: %s: %s", path,
		         stat(dir, &st) != 0 ? strerror(errno) : "not in a directory");
		return buf;
	}
	if (access(dir, W_OK | X_OK) != 0) {
		snprintf(buf, len, "--trace-out: %s: cannot make a file in %s: %s", path, dir,
		         strerror(errno));
		return buf;
	}
	return NULL;
}
