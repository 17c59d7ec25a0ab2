// librlwatch.so: the watched program on the shell's board (under the
// shell only: RACELAB_BOARD_FD set).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "rlw_lib.h"

void rlw_board_init(void) {}
void rlw_board_actor(int no) { (void)no; }
void rlw_board_op(int no) { (void)no; }
void rlw_board_gate(int no) { (void)no; }
void rlw_board_done(int no, int status) { (void)no; (void)status; }
void rlw_board_lock(struct rlw_obj *o, int no, enum rlw_op op, bool acquired)
{
	(void)o; (void)no; (void)op; (void)acquired;
}
