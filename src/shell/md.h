// Lesson documents, as the shell uses them: the lesson model (steps, run
// blocks, goals, expectations, quizzes; src/lesson/lesson.h) and its text
// wrapped in lines (src/lesson/wrap.h).
#ifndef RACELAB_SHELL_MD_H
#define RACELAB_SHELL_MD_H

#include "lesson/lesson.h"
#include "lesson/wrap.h"

#endif
