/* A webhook receiver for tests: a thread answering HTTP POSTs on 127.0.0.1 (ephemeral
 * port), keeping each body; it can refuse the first requests (503) and hold back answers. */
#ifndef EYNI_TEST_RECEIVER_H
#define EYNI_TEST_RECEIVER_H

#include <pthread.h>

#define RECEIVER_MAX_BODIES 64

typedef struct receiver {
    int fd, port, stop;
    int fail_first; /* answer 503 to this many requests first */
    int hold;       /* 1: accept nothing until set back to 0 */
    int requests;   /* requests read */
    int nbodies;
    char *bodies[RECEIVER_MAX_BODIES]; /* bodies of the requests answered 200 */
    char *heads[RECEIVER_MAX_BODIES];  /* and their request and header lines */
    pthread_t thread;
    pthread_mutex_t mu;
} receiver;

void receiver_start(receiver *r, int fail_first);
void receiver_set_hold(receiver *r, int hold);
/* Bodies answered 200 so far / requests read so far. */
int receiver_count(receiver *r);
int receiver_requests(receiver *r);
/* Waits (at most seconds) until n bodies were answered 200; returns the count. */
int receiver_wait(receiver *r, int n, int seconds);
void receiver_stop(receiver *r);

#endif
