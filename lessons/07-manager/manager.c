// Lesson 07: a manager.  A server process owns the data; clients ask it.
//
// Python's multiprocessing.Manager() starts a server process that holds
// the real list; every other process gets a proxy, and each proxy call is a
// message to the server over a socket and a reply back.  Here the server is
// a forked process that owns a list of records; clients (processes or
// threads) connect to it over a Unix socket in a private directory and send
// INSERT, LIST and ADD requests.  The tutorials' example: a list of
// (Sam, 10), (Adam, 9), (Kevin, 9); one client inserts (Jeff, 8), another
// prints the records and sees Jeff.  The tutorials' second example is a
// dict: {'status': 'in progress'}, which a client changes to 'completed'
// and the parent then reads through the manager.  Then the same update is
// timed through
// the manager and directly on shared memory, to measure the tutorial's "they
// are, however, slower than using shared memory".
#include "lab/lab.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static const char *demo = "all";
static long ops = 20000;
static double sleep_s = 0.3;

static const struct lab_option options[] = {
	{ "demo", LAB_OPT_CHOICE, &demo, "records|dict|getset|cost|all",
	  "records: insert and print through the manager; dict: a client sets "
	  "a shared dict's status; getset: clients add 1 to a dict entry as "
	  "GET then SET (a proxy's d['n'] += 1), then with one ADD; cost: time "
	  "an update through the manager and on shared memory (default all)",
	  0, 0 },
	{ "sleep", LAB_OPT_DOUBLE, &sleep_s, "S",
	  "dict part: seconds the client sleeps before its update (default 0.3; "
	  "the tutorial's 1)", 0, 10 },
	{ "ops", LAB_OPT_LONG, &ops, "N",
	  "cost part: updates per client (default 20000)", 1, 10000000 },
	{ 0 },
};

static const struct lab_lesson lesson = {
	.slug = "manager",
	.title = "A manager: a server process owns the data, clients ask it",
	.about = "The server holds a list of records; clients insert and print over a\n"
	         "Unix socket.  --workers clients then update a record --ops times each,\n"
	         "through the manager and on shared memory, and the cost per update is\n"
	         "compared.",
	.workers = 2,
	.mode = LAB_PROCESS,
	.modes = LAB_MODES_BOTH,
	.runs = 1,
	.numbers_beyond_workers = true, /* server 1, then each demo's clients */
	.options = options,
};

#define MAX_RECORDS 64
#define MAX_KEYS 8
#define MAX_CLIENTS 64 /* connections the server serves at once */
#define NAME_LEN 24
#define PACKET 4096

struct record {
	char name[NAME_LEN];
	long score;
};

/* The initial list, as in the tutorial:
 *     records = manager.list([('Sam', 10), ('Adam', 9), ('Kevin', 9)]) */
static const struct record initial[] = {
	{ "Sam", 10 }, { "Adam", 9 }, { "Kevin", 9 },
};
#define NINITIAL ((int)(sizeof initial / sizeof initial[0]))

/* Shared between the lesson, the server and the clients (process workers
 * need it in shared memory to report back). */
struct shared {
	char path[108];      /* the socket file (sun_path) */
	char dir[64];        /* its private directory */
	int listen_fd;
	/* Filled in by clients: */
	char listed[PACKET]; /* what the printing client received */
	bool insert_ok;
	/* The same records in shared memory, for the comparison: */
	struct lab_lock *lock;
	struct record shm[MAX_RECORDS];
	int nshm;
	/* Timing of the cost part, per client: */
	uint64_t t_begin[BOARD_MAX_WORKERS + 1], t_end[BOARD_MAX_WORKERS + 1];
	_Atomic int64_t *requests, *mgr_ops, *shm_ops;
	_Atomic int64_t *nrecords; /* the server's list length, as it says */
	bool getset_add;            /* getset demo: ADD, not GET then SET */
};

static struct shared *sh;

/* DOC: cleanup
 * The socket file and its directory must not outlive the lesson, however
 * it ends.  A handler cannot promise that (SIGKILL runs none, and the
 * shell's SIGKILL of the group or its own death is exactly when it
 * matters), so the directory comes from lab_tmpdir(): a small helper
 * process, outside the lesson's process group, made it and removes it
 * with the socket in it when the last process of the lesson is gone.
 * Normal ends remove it at once, after the server has exited. */
static void
remove_socket(struct lab *lab)
{
	if (sh->dir[0])
		lab_tmpdir_remove(lab, sh->dir);
}

/* ---- The server ---------------------------------------------------- */

/* The list the server owns.  It lives in the server's private memory: no
 * other process can touch it, so requests are applied one at a time, in
 * the order the server reads them, with no lock. */
struct server_state {
	struct record rec[MAX_RECORDS];
	int n;
	/* The dict: manager.dict({'status': 'in progress'}) */
	struct {
		char key[NAME_LEN], val[NAME_LEN];
	} kv[MAX_KEYS];
	int nkv;
};

/* DOC: dict: GET key, SET key value (a new key is added), ADD key n (the
 * value read as a number, n added, stored: on the server, in one request). */
static void
serve_dict(struct server_state *s, const char *key, const char *val,
           long add, char *reply, size_t len)
{
	int i;

	for (i = 0; i < s->nkv && strcmp(s->kv[i].key, key) != 0; i++)
		;
	if (!val) {
		if (i == s->nkv) {
			snprintf(reply, len, "ERR no key %s", key);
		} else if (add) {
			/* The read, the add and the write happen here, between
			 * two requests: no other client's request can come in
			 * between, as it can between a client's GET and SET. */
			long v = strtol(s->kv[i].val, NULL, 10) + add;

			snprintf(s->kv[i].val, NAME_LEN, "%ld", v);
			snprintf(reply, len, "OK %ld", v);
		} else {
			snprintf(reply, len, "OK %s", s->kv[i].val);
		}
		return;
	}
	if (i == MAX_KEYS) {
		snprintf(reply, len, "ERR dict is full");
		return;
	}
	if (i == s->nkv)
		snprintf(s->kv[s->nkv++].key, NAME_LEN, "%s", key);
	snprintf(s->kv[i].val, NAME_LEN, "%s", val);
	snprintf(reply, len, "OK");
}

/* Apply one request; write the reply.  Returns false on SHUTDOWN. */
static bool
serve(struct lab_worker *w, struct server_state *s, const char *req,
      char *reply, size_t len)
{
	char name[NAME_LEN], val[NAME_LEN];
	long v;
	int i;

	atomic_fetch_add(sh->requests, 1);
	if (sscanf(req, "SET %23s %23s", name, val) == 2) {
		lab_step(w, "serve SET");
		serve_dict(s, name, val, 0, reply, len);
		return true;
	}
	if (sscanf(req, "GET %23s", name) == 1) {
		lab_step(w, "serve GET");
		serve_dict(s, name, NULL, 0, reply, len);
		return true;
	}
	if (sscanf(req, "ADD %23[a-z] %ld", name, &v) == 2) {
		lab_step(w, "serve ADD");
		serve_dict(s, name, NULL, v, reply, len);
		return true;
	}
	if (sscanf(req, "INSERT %23s %ld", name, &v) == 2) {
		lab_step(w, "serve INSERT");
		if (s->n == MAX_RECORDS) {
			snprintf(reply, len, "ERR list is full");
			return true;
		}
		snprintf(s->rec[s->n].name, NAME_LEN, "%s", name);
		s->rec[s->n].score = v;
		s->n++;
		lab_counter_store(sh->nrecords, s->n);
		snprintf(reply, len, "OK %d", s->n);
	} else if (strcmp(req, "LIST") == 0) {
		size_t k = 0;

		lab_step(w, "serve LIST");
		reply[0] = '\0';
		for (i = 0; i < s->n && k < len; i++)
			k += (size_t)snprintf(reply + k, len - k, "%s %ld\n",
			                      s->rec[i].name, s->rec[i].score);
	} else if (sscanf(req, "ADD %d %ld", &i, &v) == 2) {
		/* A read-modify-write done inside one request: this C
		 * server answers one request at a time, so no other request
		 * comes between its read and its write. */
		lab_step(w, "serve ADD");
		if (i < 0 || i >= s->n) {
			snprintf(reply, len, "ERR no record %d", i);
			return true;
		}
		s->rec[i].score += v;
		snprintf(reply, len, "OK %ld", s->rec[i].score);
	} else if (strcmp(req, "SHUTDOWN") == 0) {
		lab_step(w, "serve SHUTDOWN");
		snprintf(reply, len, "BYE");
		return false;
	} else {
		snprintf(reply, len, "ERR bad request");
	}
	return true;
}

/* DOC: server
 * One process, one loop: poll() the listening socket and every client
 * connection, accept newcomers, answer each request in turn.  With
 * SOCK_SEQPACKET every send() is one message and every recv() returns one
 * whole message, so there is no need to cut a byte stream into requests. */
static int
server(struct lab_worker *w)
{
	struct server_state s = { .n = NINITIAL, .nkv = 2,
	                          .kv = { { "status", "in progress" },
	                                  { "n", "0" } } };
	struct pollfd pf[1 + MAX_CLIENTS];
	int nconn = 0;
	bool running = true;

	lab_set_name(w, "manager server");
	memcpy(s.rec, initial, sizeof initial);
	lab_counter_store(sh->nrecords, s.n);
	pf[0] = (struct pollfd){ sh->listen_fd, POLLIN, 0 };
	while (running) {
		lab_set_state(w, BOARD_ST_BLOCKED);
		lab_step(w, "wait for a request");
		if (poll(pf, (nfds_t)(1 + nconn), -1) < 0) {
			if (errno == EINTR)
				continue;
			lab_die(w->lab, "server: poll:");
		}
		lab_set_state(w, BOARD_ST_RUNNING);
		for (int i = 1; i <= nconn && running; i++) {
			char req[PACKET], reply[PACKET];
			ssize_t k;

			if (!pf[i].revents)
				continue;
			k = recv(pf[i].fd, req, sizeof req - 1, 0);
			if (k <= 0) { /* the client hung up */
				close(pf[i].fd);
				pf[i--] = pf[nconn--];
				continue;
			}
			req[k] = '\0';
			running = serve(w, &s, req, reply, sizeof reply);
			if (send(pf[i].fd, reply, strlen(reply) + 1, MSG_NOSIGNAL) < 0 &&
			    errno != EPIPE)
				lab_die(w->lab, "server: send:");
		}
		if (running && (pf[0].revents & POLLIN) && nconn < MAX_CLIENTS) {
			int fd = accept(sh->listen_fd, NULL, NULL);

			if (fd >= 0)
				pf[++nconn] = (struct pollfd){ fd, POLLIN, 0 };
		}
	}
	for (int i = 0; i <= nconn; i++)
		close(pf[i].fd);
	return 0;
}

/* ---- Clients --------------------------------------------------------- */

static int
connect_manager(struct lab_worker *w)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0)
		lab_die(w->lab, "worker %d: socket:", w->no);
	snprintf(a.sun_path, sizeof a.sun_path, "%s", sh->path);
	lab_step(w, "connect");
	if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
		lab_die(w->lab, "worker %d: connect %s:", w->no, sh->path);
	return fd;
}

/* DOC: proxy-call
 * What a proxy method call is underneath: send a request, wait for the
 * reply.  Two system calls and two context switches at least, however small
 * the operation. */
static void
call(struct lab_worker *w, int fd, const char *req, char *reply, size_t len)
{
	ssize_t k;

	if (send(fd, req, strlen(req) + 1, MSG_NOSIGNAL) < 0)
		lab_die(w->lab, "worker %d: send:", w->no);
	lab_set_state(w, BOARD_ST_BLOCKED); /* until the server answers */
	k = recv(fd, reply, len - 1, 0);
	lab_set_state(w, BOARD_ST_RUNNING);
	if (k <= 0)
		lab_die(w->lab, "worker %d: the manager did not answer", w->no);
	reply[k] = '\0';
}

/*     def insert_record(record, records):
 *         records.append(record)
 *         print("New record added!\n") */
static int
insert_record(struct lab_worker *w)
{
	int fd = connect_manager(w);
	char reply[PACKET];

	lab_set_name(w, "insert client");
	lab_step(w, "INSERT Jeff 8");
	call(w, fd, "INSERT Jeff 8", reply, sizeof reply);
	close(fd);
	sh->insert_ok = strncmp(reply, "OK", 2) == 0;
	if (!sh->insert_ok)
		lab_die(w->lab, "insert client: the manager said: %s", reply);
	lab_say(w->lab, "New record added!\n\n");
	return 0;
}

/*     def print_records(records):
 *         for record in records:
 *             print("Name: {0}\nScore: {1}\n".format(record[0], record[1])) */
static int
print_records(struct lab_worker *w)
{
	int fd = connect_manager(w);
	char reply[PACKET], name[NAME_LEN];
	long score;

	lab_set_name(w, "print client");
	lab_step(w, "LIST");
	call(w, fd, "LIST", reply, sizeof reply);
	close(fd);
	snprintf(sh->listed, sizeof sh->listed, "%s", reply);
	for (char *line = strtok(reply, "\n"); line; line = strtok(NULL, "\n"))
		if (sscanf(line, "%23s %ld", name, &score) == 2)
			lab_say(w->lab, "Name: %s\nScore: %ld\n\n", name, score);
	return 0;
}

/*     def update_data(data_dict):
 *         time.sleep(1)
 *         data_dict['status'] = 'completed' */
static int
update_data(struct lab_worker *w)
{
	int fd = connect_manager(w);
	char reply[PACKET];

	lab_set_name(w, "update_data");
	lab_sleep(w, sleep_s);
	lab_step(w, "SET status completed");
	call(w, fd, "SET status completed", reply, sizeof reply);
	close(fd);
	if (strncmp(reply, "OK", 2) != 0)
		lab_die(w->lab, "update_data: the manager said: %s", reply);
	return 0;
}

/* DOC: getset
 * What a Python proxy's d['n'] += 1 sends: __getitem__ (GET n), then, with
 * the value plus one, __setitem__ (SET n v+1): two requests.  Another
 * client's GET or SET can be served between them, and then one client's
 * SET erases the other's: a lost update, though the server applies every
 * request whole.  With --demo getset the second half sends ADD n 1
 * instead, one request that the server applies whole. */
static int
getset_client(struct lab_worker *w)
{
	int fd = connect_manager(w);
	char req[64], reply[64];

	lab_set_name(w, sh->getset_add ? "ADD client" : "GET+SET client");
	sh->t_begin[w->no] = board_now_ns();
	for (long i = 0; i < ops; i++) {
		if (sh->getset_add) {
			lab_step(w, "ADD n 1");
			call(w, fd, "ADD n 1", reply, sizeof reply);
		} else {
			lab_step(w, "GET n");
			call(w, fd, "GET n", reply, sizeof reply);
			if (strncmp(reply, "OK ", 3) != 0)
				lab_die(w->lab, "worker %d: the manager said: %s",
				        w->no, reply);
			snprintf(req, sizeof req, "SET n %ld",
			         strtol(reply + 3, NULL, 10) + 1);
			lab_step_val(w, "SET n", strtol(reply + 3, NULL, 10) + 1);
			call(w, fd, req, reply, sizeof reply);
		}
		if (strncmp(reply, "OK", 2) != 0)
			lab_die(w->lab, "worker %d: the manager said: %s", w->no, reply);
		atomic_fetch_add_explicit(sh->mgr_ops, 1, memory_order_relaxed);
		if ((i & 255) == 0)
			lab_progress(w, (uint64_t)i, (uint64_t)ops);
	}
	sh->t_end[w->no] = board_now_ns();
	lab_progress(w, (uint64_t)ops, (uint64_t)ops);
	close(fd);
	return 0;
}

/* DOC: cost
 * The same update, two ways.  Through the manager it is a request and a
 * reply (ADD 0 1, applied by the server); on shared memory it is a lock,
 * an add and an unlock in the client's own address space.  Every client
 * updates the same record, 0, so that a missing lock would lose updates
 * and the totals would show it. */
#define COST_RECORD 0
/* The shared-memory half makes this many times --ops updates: at the
 * manager's --ops a shared-memory loop would last well under a time slice,
 * too short to time, and too short for two clients to overlap at all (then
 * even a missing lock would lose nothing). */
#define SHM_FACTOR 100

static int
update_via_manager(struct lab_worker *w)
{
	int fd = connect_manager(w);
	char req[64], reply[64];

	lab_set_name(w, "manager client");
	snprintf(req, sizeof req, "ADD %d 1", COST_RECORD);
	sh->t_begin[w->no] = board_now_ns();
	for (long i = 0; i < ops; i++) {
		lab_step_val(w, "ADD via manager", i);
		call(w, fd, req, reply, sizeof reply);
		if (reply[0] != 'O')
			lab_die(w->lab, "worker %d: the manager said: %s", w->no, reply);
		atomic_fetch_add_explicit(sh->mgr_ops, 1, memory_order_relaxed);
		if ((i & 255) == 0)
			lab_progress(w, (uint64_t)i, (uint64_t)ops);
	}
	sh->t_end[w->no] = board_now_ns();
	lab_progress(w, (uint64_t)ops, (uint64_t)ops);
	close(fd);
	return 0;
}

static int
update_shared(struct lab_worker *w)
{
	long n = ops * SHM_FACTOR;

	lab_set_name(w, "shm client");
	sh->t_begin[w->no] = board_now_ns();
	for (long i = 0; i < n; i++) {
		long v;

		lab_lock(w, sh->lock);
		v = sh->shm[COST_RECORD].score;
		lab_step_val(w, "write record", v + 1);
		sh->shm[COST_RECORD].score = v + 1;
		lab_unlock(w, sh->lock);
		atomic_fetch_add_explicit(sh->shm_ops, 1, memory_order_relaxed);
		if ((i & 4095) == 0)
			lab_progress(w, (uint64_t)i, (uint64_t)n);
	}
	sh->t_end[w->no] = board_now_ns();
	lab_progress(w, (uint64_t)n, (uint64_t)n);
	return 0;
}

/* ---- The lesson ------------------------------------------------------ */

/* DOC: socket-file
 * Where the manager listens: a socket file in a directory only we can
 * enter (mkdtemp makes it 0700), as Python's Manager does in /tmp/pymp-*.
 * A file name is what lets any process that knows it connect, even one
 * that was not forked from us. */
static void
listen_socket(struct lab *lab)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	lab_tmpdir(lab, "manager", sh->dir, sizeof sh->dir);
	snprintf(sh->path, sizeof sh->path, "%s/manager.sock", sh->dir);
	sh->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (sh->listen_fd < 0)
		lab_die(lab, "socket:");
	snprintf(a.sun_path, sizeof a.sun_path, "%s", sh->path);
	if (bind(sh->listen_fd, (struct sockaddr *)&a, sizeof a) < 0)
		lab_die(lab, "bind %s:", sh->path);
	if (listen(sh->listen_fd, MAX_CLIENTS) < 0)
		lab_die(lab, "listen:");
}

/* Ask the server to stop, then reap it. */
/* One request from the lesson's main thread (not a worker): connect, ask,
 * read the reply, hang up. */
static void
main_call(struct lab *lab, const char *req, char *reply, size_t len)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	ssize_t k;

	snprintf(a.sun_path, sizeof a.sun_path, "%s", sh->path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
		lab_die(lab, "connect to the manager:");
	if (send(fd, req, strlen(req) + 1, MSG_NOSIGNAL) < 0 ||
	    (k = recv(fd, reply, len - 1, 0)) <= 0)
		lab_die(lab, "the manager did not answer %s:", req);
	reply[k] = '\0';
	close(fd);
}

static int
stop_server(struct lab *lab, struct lab_team *srv)
{
	char reply[16];

	main_call(lab, "SHUTDOWN", reply, sizeof reply);
	lab_join(srv);
	return srv->w[0].status;
}

static double
phase_ns_per_op(int first, int n, long per_client)
{
	uint64_t t0 = UINT64_MAX, t1 = 0;

	for (int i = first; i < first + n; i++) {
		if (sh->t_begin[i] < t0)
			t0 = sh->t_begin[i];
		if (sh->t_end[i] > t1)
			t1 = sh->t_end[i];
	}
	return (double)(t1 - t0) / ((double)per_client * n);
}

/* Sum of scores now, read from the manager. */
static long
manager_sum(struct lab *lab)
{
	char reply[PACKET], name[NAME_LEN];
	long sum = 0, score;

	main_call(lab, "LIST", reply, sizeof reply);
	for (char *line = strtok(reply, "\n"); line; line = strtok(NULL, "\n"))
		if (sscanf(line, "%23s %ld", name, &score) == 2)
			sum += score;
	return sum;
}

/* The printed list as "Sam:10,Adam:9,..."; returns how many records. */
static int
records_json(char *out, size_t len)
{
	char copy[PACKET], name[NAME_LEN];
	size_t k = 0;
	long score;
	int n = 0;

	snprintf(copy, sizeof copy, "%s", sh->listed);
	out[0] = '\0';
	for (char *line = strtok(copy, "\n"); line && k < len;
	     line = strtok(NULL, "\n"))
		if (sscanf(line, "%23s %ld", name, &score) == 2) {
			k += (size_t)snprintf(out + k, len - k, "%s%s:%ld",
			                      k ? "," : "", name, score);
			n++;
		}
	return n;
}

int
main(int argc, char **argv)
{
	struct lab lab;
	bool do_records, do_dict, do_getset, do_cost;
	int clients;

	lab_init(&lab, &lesson, argc, argv);
	do_records = strcmp(demo, "records") == 0 || strcmp(demo, "all") == 0;
	do_dict = strcmp(demo, "dict") == 0 || strcmp(demo, "all") == 0;
	do_getset = strcmp(demo, "getset") == 0 || strcmp(demo, "all") == 0;
	do_cost = strcmp(demo, "cost") == 0 || strcmp(demo, "all") == 0;
	clients = lab.o.workers;
	if (clients > MAX_CLIENTS - 2)
		lab_usage_error(&lab, "--workers: at most %d clients", MAX_CLIENTS - 2);
	sh = lab_shared_alloc(&lab, sizeof *sh);
	sh->lock = lab_lock_new(&lab, "records", BOARD_LOCK_MUTEX);

	for (int run = 1; run <= lab.o.runs; run++) {
		struct board_counter *nrec, *requests, *mgr, *shm;
		struct lab_team *srv, *t;
		double mgr_ns = 0, shm_ns = 0;
		long sum0 = 0, mgr_added = 0, shm_added = 0;
		long getset_added = 0, add_added = 0;
		int nlisted = 0;
		int srv_status, no = 2;
		pid_t srv_pid;
		struct stat st;
		bool sock_left, dir_left;
		char recs[512] = "", status0[PACKET] = "", status1[PACKET] = "";

		lab_run_begin(&lab, run);
		memset(sh->listed, 0, sizeof sh->listed);
		sh->insert_ok = false;
		nrec = lab_counter(&lab, "records", 0);
		lab_counter_expect(nrec, NINITIAL + (do_records ? 1 : 0));
		lab_counter_kind(nrec, BOARD_COUNTER_GAUGE);
		sh->nrecords = &nrec->value; /* the server sets it */
		requests = lab_counter(&lab, "requests", 0);
		sh->requests = &requests->value;
		mgr = lab_counter(&lab, "manager ops", 0);
		shm = lab_counter(&lab, "shm ops", 0);
		if (do_cost) {
			lab_counter_expect(mgr, (int64_t)ops * clients);
			lab_counter_expect(shm, (int64_t)ops * SHM_FACTOR * clients);
			lab_counter_kind(mgr, BOARD_COUNTER_COUNT);
			lab_counter_kind(shm, BOARD_COUNTER_COUNT);
		}
		sh->mgr_ops = &mgr->value;
		sh->shm_ops = &shm->value;

		/* The manager: always a process, the point of the lesson. */
		listen_socket(&lab);
		/* Never parked at a gate: a schedule steps the clients, and
		 * a client waiting for its reply needs the server to run. */
		srv = lab_spawn_server(&lab, LAB_PROCESS, 1, server, NULL);
		srv_pid = srv->w[0].pid;
		close(sh->listen_fd); /* the server has its own copy */
		lab_say(&lab, "manager: server process %d listening on %s\n\n",
		        (int)srv_pid, sh->path);

		if (do_records) {
			/* p1.start(); p1.join(); p2.start(); p2.join() */
			t = lab_spawn_ex(&lab, lab.o.mode, no++, 1, insert_record, NULL);
			if (lab_join(t) != LAB_JOIN_OK)
				lab_die(&lab, "the insert client failed");
			lab_team_free(t);
			t = lab_spawn_ex(&lab, lab.o.mode, no++, 1, print_records, NULL);
			if (lab_join(t) != LAB_JOIN_OK)
				lab_die(&lab, "the print client failed");
			lab_team_free(t);
			nlisted = records_json(recs, sizeof recs);
		}
		if (do_dict) {
			/* shared_data = manager.dict({'status': 'in progress'})
			 * p = Process(target=update_data, ...); p.start(); p.join()
			 * print("Final status:", shared_data['status']) */
			main_call(&lab, "GET status", status0, sizeof status0);
			t = lab_spawn_ex(&lab, lab.o.mode, no++, 1, update_data, NULL);
			if (lab_join(t) != LAB_JOIN_OK)
				lab_die(&lab, "the update_data client failed");
			lab_team_free(t);
			main_call(&lab, "GET status", status1, sizeof status1);
			if (strncmp(status0, "OK ", 3) || strncmp(status1, "OK ", 3))
				lab_die(&lab, "the manager's dict: %s, %s", status0,
				        status1);
			lab_say(&lab, "Initial status: %s\n", status0 + 3);
			if (lab_text(&lab))
				printf("Final status: %s\n\n", status1 + 3);
		}
		if (do_getset) {
			/* for _ in range(ops): d['n'] += 1, in every client;
			 * then the same with one server-side ADD per update. */
			for (int half = 0; half < 2; half++) {
				char got[64];
				long n0, n1;

				sh->getset_add = half == 1;
				main_call(&lab, "GET n", got, sizeof got);
				n0 = strtol(got + 3, NULL, 10);
				t = lab_spawn_ex(&lab, lab.o.mode, no, clients,
				                 getset_client, NULL);
				if (lab_join(t) != LAB_JOIN_OK)
					lab_die(&lab, "a getset client failed");
				lab_team_free(t);
				no += clients;
				main_call(&lab, "GET n", got, sizeof got);
				n1 = strtol(got + 3, NULL, 10);
				*(half ? &add_added : &getset_added) = n1 - n0;
			}
			if (lab_text(&lab))
				printf("%d %s client%s each add 1 to d['n'] %ld times:\n"
				       "  GET then SET (d['n'] += 1)  %8ld added of %ld%s\n"
				       "  ADD on the server          %8ld added of %ld\n\n",
				       clients, lab_mode_name(lab.o.mode),
				       clients == 1 ? "" : "s", ops, getset_added,
				       ops * clients, getset_added < ops * clients ?
				       ": updates lost" : "", add_added, ops * clients);
		}
		if (do_cost) {
			sum0 = manager_sum(&lab);
			t = lab_spawn_ex(&lab, lab.o.mode, no, clients,
			                 update_via_manager, NULL);
			if (lab_join(t) != LAB_JOIN_OK)
				lab_die(&lab, "a manager client failed");
			lab_team_free(t);
			mgr_ns = phase_ns_per_op(no, clients, ops);
			mgr_added = manager_sum(&lab) - sum0;
			no += clients;

			memcpy(sh->shm, initial, sizeof initial);
			sh->nshm = NINITIAL + 1;
			snprintf(sh->shm[NINITIAL].name, NAME_LEN, "Jeff");
			sh->shm[NINITIAL].score = 8;
			sum0 = 0;
			for (int i = 0; i < sh->nshm; i++)
				sum0 += sh->shm[i].score;
			t = lab_spawn_ex(&lab, lab.o.mode, no, clients, update_shared,
			                 NULL);
			if (lab_join(t) != LAB_JOIN_OK)
				lab_die(&lab, "a shared-memory client failed");
			lab_team_free(t);
			shm_ns = phase_ns_per_op(no, clients, ops * SHM_FACTOR);
			for (int i = 0; i < sh->nshm; i++)
				shm_added += sh->shm[i].score;
			shm_added -= sum0;
		}

		/* with multiprocessing.Manager() as manager: ... ends here. */
		srv_status = stop_server(&lab, srv);
		lab_team_free(srv);
		remove_socket(&lab);
		sock_left = stat(sh->path, &st) == 0;
		dir_left = stat(sh->dir, &st) == 0;
		lab_run_end(&lab);

		if (do_cost && lab_text(&lab))
			printf("%d %s client%s, all on record %d:\n"
			       "  through the manager  %10.0f ns per update (%ld added of %ld)\n"
			       "  on shared memory     %10.0f ns per update (%ld added of %ld)\n"
			       "  the manager is %.0fx slower\n",
			       clients, lab_mode_name(lab.o.mode), clients == 1 ? "" : "s",
			       COST_RECORD, mgr_ns, mgr_added, ops * clients, shm_ns,
			       shm_added, ops * SHM_FACTOR * clients,
			       mgr_ns / (shm_ns > 0 ? shm_ns : 1));
		lab_say(&lab, "manager: server %d %s; %s %s\n", (int)srv_pid,
		        srv_status == 0 ? "exited cleanly" : "FAILED", sh->path,
		        sock_left ? "is STILL THERE" : "removed");
		if (lab.o.json) {
			struct lab_json j;

			lab_json_begin(&j);
			lab_json_int(&j, "run", run);
			lab_json_str(&j, "mode", lab_mode_name(lab.o.mode));
			lab_json_str(&j, "demo", demo);
			lab_json_int(&j, "server_pid", srv_pid);
			if (do_records) {
				lab_json_str(&j, "records", recs);
				lab_json_bool(&j, "inserted", sh->insert_ok);
				lab_json_bool(&j, "inserted_seen",
				              strstr(sh->listed, "Jeff 8\n") != NULL);
				lab_json_int(&j, "records_listed", nlisted);
			}
			lab_json_int(&j, "server_records", atomic_load(&nrec->value));
			if (do_dict) {
				lab_json_str(&j, "initial_status", status0 + 3);
				lab_json_str(&j, "final_status", status1 + 3);
			}
			if (do_getset || do_cost) {
				lab_json_int(&j, "clients", clients);
				lab_json_int(&j, "ops", ops);
				lab_json_int(&j, "expected_added", ops * clients);
			}
			if (do_getset) {
				lab_json_int(&j, "getset_added", getset_added);
				lab_json_int(&j, "add_added", add_added);
			}
			if (do_cost) {
				lab_json_int(&j, "manager_added", mgr_added);
				lab_json_int(&j, "shm_ops", ops * SHM_FACTOR);
				lab_json_int(&j, "shm_expected_added",
				             ops * SHM_FACTOR * clients);
				lab_json_int(&j, "shm_added", shm_added);
				lab_json_num(&j, "manager_ns_per_op", mgr_ns);
				lab_json_num(&j, "shm_ns_per_op", shm_ns);
				lab_json_num(&j, "manager_vs_shm",
				             mgr_ns / (shm_ns > 0 ? shm_ns : 1));
			}
			lab_json_int(&j, "requests", atomic_load(&requests->value));
			lab_json_int(&j, "server_exit", srv_status);
			lab_json_str(&j, "socket", sh->path);
			lab_json_bool(&j, "socket_left", sock_left);
			lab_json_bool(&j, "dir_left", dir_left);
			lab_json_end(&j);
		}
		sh->path[0] = sh->dir[0] = '\0';
	}
	return 0;
}
