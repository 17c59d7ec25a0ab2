// prodcons_if.c with `while`: every interleaving consumes both items
// ("sum = 3").
#define CHECK while
#include "prodcons_if.c"
