/* The test webhook receiver (see receiver.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strcasestr */
#endif
#include "receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int get(receiver *r, const int *field)
{
    pthread_mutex_lock(&r->mu);
    int v = *field;
    pthread_mutex_unlock(&r->mu);
    return v;
}

/* Reads one request (headers, then Content-Length bytes); the body or NULL, and a copy of
 * the header lines in *head. */
static char *read_request(int c, char **head)
{
    char buf[65536];
    size_t len = 0;
    char *end = NULL;
    while (!end && len < sizeof buf - 1) {
        ssize_t k = read(c, buf + len, sizeof buf - 1 - len);
        if (k <= 0)
            return NULL;
        len += (size_t)k;
        buf[len] = 0;
        end = strstr(buf, "\r\n\r\n");
    }
    if (!end)
        return NULL;
    *head = strndup(buf, (size_t)(end - buf));
    const char *cl = strcasestr(buf, "Content-Length:");
    size_t want = cl ? strtoul(cl + 15, NULL, 10) : 0, have = len - (size_t)(end + 4 - buf);
    if (want > sizeof buf / 2)
        return NULL;
    char *body = malloc(want + 1);
    memcpy(body, end + 4, have < want ? have : want);
    while (have < want) {
        ssize_t k = read(c, body + have, want - have);
        if (k <= 0) {
            free(body);
            return NULL;
        }
        have += (size_t)k;
    }
    body[want] = 0;
    return body;
}

static void serve_one(receiver *r, int c)
{
    char *head = NULL;
    char *body = read_request(c, &head);
    pthread_mutex_lock(&r->mu);
    r->requests++;
    int refuse = r->requests <= r->fail_first || !body;
    if (!refuse && r->nbodies < RECEIVER_MAX_BODIES) {
        r->heads[r->nbodies] = head, head = NULL;
        r->bodies[r->nbodies++] = body, body = NULL;
    }
    pthread_mutex_unlock(&r->mu);
    free(head);
    const char *ans = refuse ? "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                             : "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    ssize_t w = write(c, ans, strlen(ans));
    (void)w;
    free(body);
    close(c);
}

static void *run(void *arg)
{
    receiver *r = arg;
    while (!get(r, &r->stop)) {
        struct pollfd p = {.fd = r->fd, .events = POLLIN};
        /* hold is read again after the wait: a connection that arrived during it, after the
         * test asked to hold, stays in the backlog */
        if (get(r, &r->hold) || poll(&p, 1, 50) <= 0 || get(r, &r->hold)) {
            usleep(20000);
            continue;
        }
        int c = accept(r->fd, NULL, NULL);
        if (c >= 0)
            serve_one(r, c);
    }
    return NULL;
}

void receiver_start(receiver *r, int fail_first)
{
    memset(r, 0, sizeof *r);
    r->fail_first = fail_first;
    pthread_mutex_init(&r->mu, NULL);
    r->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (r->fd < 0 || bind(r->fd, (struct sockaddr *)&a, sizeof a) || listen(r->fd, 16) ||
        getsockname(r->fd, (struct sockaddr *)&a, &al)) {
        perror("receiver");
        abort();
    }
    r->port = ntohs(a.sin_port);
    pthread_create(&r->thread, NULL, run, r);
}

void receiver_set_hold(receiver *r, int hold)
{
    pthread_mutex_lock(&r->mu);
    r->hold = hold;
    pthread_mutex_unlock(&r->mu);
}

int receiver_count(receiver *r)
{
    return get(r, &r->nbodies);
}

int receiver_requests(receiver *r)
{
    return get(r, &r->requests);
}

int receiver_wait(receiver *r, int n, int seconds)
{
    for (int i = 0; i < seconds * 20 && receiver_count(r) < n; i++)
        usleep(50000);
    return receiver_count(r);
}

void receiver_stop(receiver *r)
{
    pthread_mutex_lock(&r->mu);
    r->stop = 1;
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
    close(r->fd);
    for (int i = 0; i < r->nbodies; i++) {
        free(r->bodies[i]);
        free(r->heads[i]);
    }
    pthread_mutex_destroy(&r->mu);
}
