// Step mode's pure logic: goal and quiz syntax in lesson.md, the schedule
// and the command line that replays it, goals judged on a real board,
// settled workers, quiz answers in the progress file.
#include <check.h>

#include "testutil.h"
#include <stdlib.h>
#include <string.h>

#include "board/board.h"
#include "lab/lab.h"
#include "shell/md.h"
#include "shell/shell.h"

START_TEST(test_goal_parse)
{
	struct md_goal g;
	char err[160];

	ck_assert_int_eq(md_goal_parse(" counter balance == 101 :: make it 101", &g, err, sizeof err), 0);
	ck_assert_int_eq(g.kind, MD_GOAL_COUNTER);
	ck_assert_str_eq(g.name, "balance");
	ck_assert_int_eq(g.cmp, MD_CMP_EQ);
	ck_assert_int_eq(g.value, 101);
	ck_assert_str_eq(g.text, "make it 101");
	md_goal_free(&g);

	ck_assert_int_eq(md_goal_parse("critical m >= 2 ::  both inside ", &g, err, sizeof err), 0);
	ck_assert_int_eq(g.kind, MD_GOAL_CRITICAL);
	ck_assert_str_eq(g.name, "m");
	ck_assert_int_eq(g.cmp, MD_CMP_GE);
	ck_assert_int_eq(g.value, 2);
	ck_assert_str_eq(g.text, "both inside ");
	md_goal_free(&g);

	/* Without text, the condition is the text. */
	ck_assert_int_eq(md_goal_parse(" deadlock ", &g, err, sizeof err), 0);
	ck_assert_int_eq(g.kind, MD_GOAL_DEADLOCK);
	ck_assert_str_eq(g.text, "deadlock");
	md_goal_free(&g);
	ck_assert_int_eq(md_goal_parse("counter x != -3", &g, err, sizeof err), 0);
	ck_assert_int_eq(g.cmp, MD_CMP_NE);
	ck_assert_int_eq(g.value, -3);
	md_goal_free(&g);

	ck_assert_int_eq(md_goal_parse("counter balance = 101", &g, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "unknown comparison '='"));
	ck_assert_int_eq(md_goal_parse("counter balance == lots", &g, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "'lots' is not a number"));
	ck_assert_int_eq(md_goal_parse("deadlock now", &g, err, sizeof err), -1);
	ck_assert_int_eq(md_goal_parse("", &g, err, sizeof err), -1);
	ck_assert_int_eq(md_goal_parse("counter averyveryverylongname == 1", &g, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "too long"));
}
END_TEST

START_TEST(test_cmp)
{
	ck_assert(md_cmp_holds(MD_CMP_EQ, 3, 3));
	ck_assert(!md_cmp_holds(MD_CMP_NE, 3, 3));
	ck_assert(md_cmp_holds(MD_CMP_LT, 2, 3));
	ck_assert(md_cmp_holds(MD_CMP_LE, 3, 3));
	ck_assert(!md_cmp_holds(MD_CMP_GT, 3, 3));
	ck_assert(md_cmp_holds(MD_CMP_GE, 4, 3));
	ck_assert_str_eq(md_cmp_name(MD_CMP_GE), ">=");
}
END_TEST

START_TEST(test_quiz_parse)
{
	struct md_quiz q;
	char err[160];
	int line;

	ck_assert_int_eq(md_quiz_parse("What final balance\n  do you expect?\nanswer: 101\n",
	                                &q, err, sizeof err, &line), 0);
	ck_assert_str_eq(q.question, "What final balance do you expect?");
	ck_assert_int_eq(q.nchoice, 0);
	ck_assert(q.has_answer);
	ck_assert_int_eq(q.answer, 101);
	md_quiz_free(&q);

	ck_assert_int_eq(md_quiz_parse("Which?\n- 99\n- 100\n- 101\nanswer: 3", &q, err,
	                                sizeof err, &line), 0);
	ck_assert_int_eq(q.nchoice, 3);
	ck_assert_str_eq(q.choice[2], "101");
	ck_assert_int_eq(q.answer, 3);
	md_quiz_free(&q);

	ck_assert_int_eq(md_quiz_parse("How many?", &q, err, sizeof err, &line), 0);
	ck_assert(!q.has_answer);
	md_quiz_free(&q);

	ck_assert_int_eq(md_quiz_parse("Which?\n- a\n- b\nanswer: 3", &q, err, sizeof err, &line), -1);
	ck_assert_ptr_nonnull(strstr(err, "choice number 1-2"));
	ck_assert_int_eq(line, 4);
	ck_assert_int_eq(md_quiz_parse("Which?\n- only\n", &q, err, sizeof err, &line), -1);
	ck_assert_int_eq(md_quiz_parse("- a\n- b\n", &q, err, sizeof err, &line), -1);
	ck_assert_ptr_nonnull(strstr(err, "no question"));
	ck_assert_int_eq(md_quiz_parse("Q?\nanswer: many", &q, err, sizeof err, &line), -1);
	ck_assert_int_eq(md_quiz_parse("Q?\n- a\n- b\nmore text", &q, err, sizeof err, &line), -1);
	ck_assert_int_eq(line, 4);
}
END_TEST

/* Goals and quizzes inside a lesson; their errors carry file lines. */
START_TEST(test_lesson_goals)
{
	struct md_lesson l;
	const char *doc =
		"# T\n\n## S\n\n```quiz\nWhat?\n- a\n- b\nanswer: 2\n```\n\n"
		"```run\nrace --iters 1\ngoal: counter balance == 101 :: make it 101\n"
		"goal: deadlock\n```\n";
	const char *bad = "# T\n\n## S\n\n```run\nrace\ngoal: counter b >< 1\n```\n";
	const char *badq = "# T\n\n## S\n\n```quiz\nQ?\nanswer: x\n```\n";

	ck_assert_int_eq(md_lesson_parse(&l, doc, strlen(doc), tu_only_race, NULL), 0);
	ck_assert_int_eq(l.step[0].q.nchoice, 2);
	ck_assert_int_eq(l.step[0].q.answer, 2);
	ck_assert_int_eq(l.step[0].run->ngoal, 2);
	ck_assert_str_eq(l.step[0].run->goal[0].text, "make it 101");
	ck_assert_int_eq(l.step[0].run->goal[1].kind, MD_GOAL_DEADLOCK);
	ck_assert_int_eq(l.step[0].run->argc, 3); /* goal lines are not argv */
	md_lesson_free(&l);

	ck_assert_int_eq(md_lesson_parse(&l, bad, strlen(bad), tu_only_race, NULL), -1);
	ck_assert_int_eq(l.error_line, 7);
	ck_assert_ptr_nonnull(strstr(l.error, "unknown comparison"));
	md_lesson_free(&l);
	ck_assert_int_eq(md_lesson_parse(&l, badq, strlen(badq), tu_only_race, NULL), -1);
	ck_assert_int_eq(l.error_line, 7);
	md_lesson_free(&l);
}
END_TEST

START_TEST(test_schedule_text)
{
	int s[] = {1, 2, 1, 2};
	char *argv[] = {"race", "--workers", "2", "--schedule", "2,2", "--step",
	                "--iters", "1", NULL};
	char buf[128];

	step_format_schedule(s, 4, buf, sizeof buf);
	ck_assert_str_eq(buf, "1,2,1,2");
	step_format_schedule(s, 0, buf, sizeof buf);
	ck_assert_str_eq(buf, "");
	step_command_line(argv, 8, s, 4, buf, sizeof buf);
	ck_assert_str_eq(buf, "racelab-race --workers 2 --iters 1 --schedule 1,2,1,2");
	step_format_schedule(s, 4, buf, 4); /* truncated, still a string */
	ck_assert_str_eq(buf, "1,2");
}
END_TEST

/* Goals judged on a real board, set up as a lesson would leave it. */
/* critical FLAG for a home-made lock the lab does not take: the workers
 * the lesson marks holding it, or else those in state critical holding
 * no lab lock; never one inside a lab mutex. */
START_TEST(test_critical_home_made)
{
	struct board *b = board_create_anon();
	struct md_goal crit;
	char err[80];
	int f, m;

	ck_assert_ptr_nonnull(b);
	f = board_lock_add(b, "flag", BOARD_LOCK_NONE);
	m = board_lock_add(b, "m", BOARD_LOCK_MUTEX);
	atomic_store(&b->nactors, 4);
	for (int i = 1; i < 4; i++)
		atomic_store(&b->actor[i].state, BOARD_ST_GATE);
	ck_assert_int_eq(md_goal_parse("critical flag >= 2", &crit, err, sizeof err), 0);
	ck_assert_int_eq(step_inside(b, "flag"), 0);
	atomic_store(&b->actor[1].state, BOARD_ST_CRITICAL);
	ck_assert_int_eq(step_inside(b, "flag"), 1);
	/* Worker 2 is critical inside mutex m: not inside the flag lock. */
	atomic_store(&b->actor[2].state, BOARD_ST_CRITICAL);
	atomic_store(&b->actor[2].held, 1u << m);
	ck_assert_int_eq(step_inside(b, "flag"), 1);
	ck_assert(!step_goal_met(&crit, b, false));
	/* Worker 3 is inside, parked at its next probe (step mode). */
	atomic_store(&b->actor[3].gate_resume, BOARD_ST_CRITICAL);
	ck_assert_int_eq(step_inside(b, "flag"), 2);
	ck_assert(step_goal_met(&crit, b, false));
	atomic_store(&b->actor[3].state, BOARD_ST_CRITICAL);
	ck_assert_int_eq(step_inside(b, "flag"), 2);
	/* Marked holders, when the lesson marks them, are what counts. */
	atomic_store(&b->actor[3].held, 1u << f);
	ck_assert_int_eq(step_inside(b, "flag"), 1);
	/* Ended workers are not inside. */
	atomic_store(&b->actor[3].state, BOARD_ST_DONE);
	ck_assert_int_eq(step_inside(b, "flag"), 1);
	md_goal_free(&crit);
	board_unmap(b);
}
END_TEST

/* all blocked: every worker that has not ended asleep in a wait nobody
 * running can end; one at a gate, or one with a wake-up coming, is not. */
START_TEST(test_goal_all_blocked)
{
	struct board *b = board_create_anon();
	struct md_goal g;
	char err[80];
	int c, m, s, bar;

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(md_goal_parse("all blocked :: everyone asleep", &g, err, sizeof err), 0);
	ck_assert_int_eq(g.kind, MD_GOAL_ALL_BLOCKED);
	ck_assert_str_eq(g.text, "everyone asleep");
	c = board_lock_add(b, "ready", BOARD_LOCK_COND);
	m = board_lock_add(b, "m", BOARD_LOCK_MUTEX);
	s = board_lock_add(b, "s", BOARD_LOCK_SEM);
	bar = board_lock_add(b, "b", BOARD_LOCK_BARRIER);
	atomic_store(&b->nactors, 4);
	ck_assert(!step_goal_met(&g, b, false)); /* nobody at all */
	/* 1 waits on the condvar, 2 at the barrier (1 of 3), 3 for s. */
	atomic_store(&b->actor[1].state, BOARD_ST_WAIT_LOCK);
	atomic_store(&b->actor[1].wait_lock, (uint32_t)c + 1);
	atomic_store(&b->actor[1].wait_arg, (uint32_t)m + 1);
	atomic_store(&b->actor[2].state, BOARD_ST_WAIT_LOCK);
	atomic_store(&b->actor[2].wait_lock, (uint32_t)bar + 1);
	atomic_store(&b->lock[bar].permits, 3);
	atomic_store(&b->lock[bar].value, 1);
	atomic_store(&b->actor[3].state, BOARD_ST_GATE);
	ck_assert(!step_goal_met(&g, b, false)); /* 3 can still move */
	atomic_store(&b->actor[3].state, BOARD_ST_WAIT_LOCK);
	atomic_store(&b->actor[3].wait_lock, (uint32_t)s + 1);
	atomic_store(&b->lock[s].value, 0);
	ck_assert(step_goal_met(&g, b, false));
	ck_assert(!lab_find_deadlock(b, NULL, 0, NULL)); /* no cycle: a lost wake-up */
	/* A wake-up pending and the mutex free: 1 will move. */
	atomic_store(&b->lock[c].value, 1);
	atomic_store(&b->lock[m].holder, -1);
	ck_assert(!step_goal_met(&g, b, false));
	atomic_store(&b->lock[c].value, 0);
	/* The barrier's phase completes: 2 will move. */
	atomic_store(&b->lock[bar].phase, 1);
	ck_assert(!step_goal_met(&g, b, false));
	atomic_store(&b->actor[2].wait_arg, 1);
	ck_assert(step_goal_met(&g, b, false));
	/* A permit comes back: 3 will move. */
	atomic_store(&b->lock[s].value, 1);
	ck_assert(!step_goal_met(&g, b, false));
	atomic_store(&b->lock[s].value, 0);
	/* A worker that has ended does not count; all ended: not asleep. */
	atomic_store(&b->actor[3].state, BOARD_ST_DONE);
	ck_assert(step_goal_met(&g, b, false));
	for (int i = 1; i < 4; i++)
		atomic_store(&b->actor[i].state, BOARD_ST_DONE);
	ck_assert(!step_goal_met(&g, b, false));
	md_goal_free(&g);
	ck_assert_int_eq(md_goal_parse("all", &g, err, sizeof err), -1);
	ck_assert_int_eq(md_goal_parse("all blocked now", &g, err, sizeof err), -1);
	md_goal_free(&g);
	board_unmap(b);
}
END_TEST

START_TEST(test_goal_met)
{
	struct board *b = board_create_anon();
	struct md_goal cnt, crit, dl;
	char err[80];
	int c, m, n;

	ck_assert_ptr_nonnull(b);
	c = board_counter_add(b, "balance", 100);
	m = board_lock_add(b, "m", BOARD_LOCK_MUTEX);
	n = board_lock_add(b, "n", BOARD_LOCK_MUTEX);
	ck_assert_int_ge(c, 0);
	atomic_store(&b->nactors, 3);
	atomic_store(&b->actor[1].state, BOARD_ST_GATE);
	atomic_store(&b->actor[2].state, BOARD_ST_GATE);
	atomic_store(&b->lock[m].holder, -1);
	atomic_store(&b->lock[n].holder, -1);
	ck_assert_int_eq(md_goal_parse("counter balance == 101", &cnt, err, sizeof err), 0);
	ck_assert_int_eq(md_goal_parse("critical m >= 2", &crit, err, sizeof err), 0);
	ck_assert_int_eq(md_goal_parse("deadlock", &dl, err, sizeof err), 0);

	atomic_store(&b->counter[c].value, 101);
	ck_assert(!step_goal_met(&cnt, b, false)); /* only at the end */
	ck_assert(step_goal_met(&cnt, b, true));
	atomic_store(&b->counter[c].value, 100);
	ck_assert(!step_goal_met(&cnt, b, true));

	/* Worker 1 holds m (parked at a gate inside); worker 2 waits. */
	atomic_store(&b->lock[m].holder, 1);
	atomic_store(&b->actor[1].held, 1u << m);
	atomic_store(&b->actor[2].state, BOARD_ST_WAIT_LOCK);
	atomic_store(&b->actor[2].wait_lock, (uint32_t)m + 1);
	ck_assert_int_eq(step_inside(b, "m"), 1);
	ck_assert_int_eq(step_inside(b, "nosuch"), -1);
	ck_assert(!step_goal_met(&crit, b, false));
	ck_assert(!step_goal_met(&dl, b, false));
	ck_assert(board_actor_settled(b, 2)); /* blocked on a held lock */
	ck_assert(board_actor_settled(b, 1)); /* at its gate, no grant */
	/* Inside another lock is not inside m: worker 2 holds n. */
	atomic_store(&b->actor[2].state, BOARD_ST_CRITICAL);
	atomic_store(&b->actor[2].held, 1u << n);
	ck_assert_int_eq(step_inside(b, "m"), 1);
	ck_assert_int_eq(step_inside(b, "n"), 1);
	ck_assert(!step_goal_met(&crit, b, false));
	/* Two inside (what a broken lock would allow) is seen as two. */
	atomic_store(&b->actor[2].held, 1u << m);
	ck_assert(step_goal_met(&crit, b, false));
	ck_assert(!board_actor_settled(b, 2)); /* running: it will move */
	atomic_store(&b->actor[1].held, 0);
	atomic_store(&b->actor[2].held, 0);

	/* 1 holds m and waits for n; 2 holds n and waits for m. */
	atomic_store(&b->lock[n].holder, 2);
	atomic_store(&b->actor[1].state, BOARD_ST_WAIT_LOCK);
	atomic_store(&b->actor[1].wait_lock, (uint32_t)n + 1);
	atomic_store(&b->actor[2].state, BOARD_ST_WAIT_LOCK);
	atomic_store(&b->actor[2].wait_lock, (uint32_t)m + 1);
	ck_assert(step_goal_met(&dl, b, false));

	/* A grant not yet used: not settled; used: settled. */
	atomic_store(&b->actor[1].state, BOARD_ST_GATE);
	board_gate_grant(&b->actor[1]);
	ck_assert(!board_actor_settled(b, 1));
	atomic_store(&b->actor[1].taken, atomic_load(&b->actor[1].grant));
	ck_assert(board_actor_settled(b, 1));
	atomic_store(&b->actor[1].state, BOARD_ST_DONE);
	ck_assert(board_actor_settled(b, 1));

	md_goal_free(&cnt);
	md_goal_free(&crit);
	md_goal_free(&dl);
	board_unmap(b);
}
END_TEST

START_TEST(test_progress_quiz)
{
	struct progress p, q;
	char buf[1024];

	memset(&p, 0, sizeof p);
	progress_mark(&p, "race", 1);
	progress_quiz_set(&p, "race", 1, 99);
	progress_quiz_set(&p, "race", 1, 101); /* the last answer counts */
	progress_quiz_set(&p, "deadlock", 0, -2);
	ck_assert_int_gt(progress_format(&p, buf, sizeof buf), 0);
	ck_assert_ptr_nonnull(strstr(buf, "quiz race 1 101\n"));
	ck_assert_ptr_null(strstr(buf, "quiz race 1 99\n"));
	ck_assert_int_eq(progress_parse(&q, buf), 0);
	ck_assert_int_eq(q.nquiz, 2);
	ck_assert_str_eq(q.quiz[0].slug, "race");
	ck_assert_int_eq(q.quiz[0].answer, 101);
	ck_assert_int_eq(q.quiz[1].answer, -2);
	ck_assert_int_eq(q.n, 1);
	/* A bad slug or step is skipped. */
	ck_assert_int_eq(progress_parse(&q, "quiz ../x 1 2\nquiz race -1 2\n"), 0);
	ck_assert_int_eq(q.nquiz, 0);
}
END_TEST

Suite *
suite_step(void)
{
	Suite *s = suite_create("step");
	TCase *tc = tcase_create("step");

	tcase_add_test(tc, test_goal_parse);
	tcase_add_test(tc, test_cmp);
	tcase_add_test(tc, test_quiz_parse);
	tcase_add_test(tc, test_lesson_goals);
	tcase_add_test(tc, test_schedule_text);
	tcase_add_test(tc, test_goal_met);
	tcase_add_test(tc, test_critical_home_made);
	tcase_add_test(tc, test_goal_all_blocked);
	tcase_add_test(tc, test_progress_quiz);
	suite_add_tcase(s, tc);
	return s;
}
