/* Running the HTTP server in the foreground until SIGINT or SIGTERM. */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common.h"
#include "eyni/server.h"
#include "video_service.h"

/* The address peers call this node at: gallery.node_url, else the listening address. */
static int node_url(const cmd_env *e, const eyni_server_opts *so, int port, char *out, size_t cap,
                    eyni_error *err)
{
    const char *set = eyni_config_get(e->cfg, "gallery.node_url", NULL);
    if (set) {
        snprintf(out, cap, "%s", set);
        return 0;
    }
    const char *colon = strrchr(so->listen, ':');
    int host = colon ? (int)(colon - so->listen) : (int)strlen(so->listen);
    if (host == 0 || !strncmp(so->listen, "0.0.0.0", 7) || !strncmp(so->listen, "[::]", 4))
        return eyni_error_set(err, EYNI_EINVAL,
                              "server.listen = %s is no address a peer can call: set "
                              "gallery.node_url",
                              so->listen);
    snprintf(out, cap, "%s://%.*s:%d", so->tls_cert ? "https" : "http", host, so->listen, port);
    return 0;
}

static int write_port_file(const char *path, int port, eyni_error *err)
{
    char buf[16];
    int n = snprintf(buf, sizeof buf, "%d\n", port);
    return eyni_file_write_atomic(path, buf, (size_t)n, 0644, err);
}

int cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"listen", required_argument, NULL, 'l'},
                                         {"port-file", required_argument, NULL, 'p'},
                                         {"web", required_argument, NULL, 'w'},
                                         {NULL, 0, NULL, 0}};
    const char *data = NULL, *listen = NULL, *port_file = NULL, *web = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd')
            data = optarg;
        else if (c == 'l')
            listen = optarg;
        else if (c == 'p')
            port_file = optarg;
        else if (c == 'w')
            web = optarg;
        else
            return cli_usage(
                "eynid [--data DIR] [--listen HOST:PORT] [--port-file FILE] [--web DIR]");
    }
    /* Signals are taken by sigwait below; block them before any thread starts. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    char lo[128];
    snprintf(lo, sizeof lo, "server.listen=%s", listen ? listen : "");
    const char *ov[] = {listen ? lo : NULL, NULL};
    cmd_env e;
    eyni_error err;
    if (cmd_env_open(&e, cli_data_dir(data), ov, 1, &err))
        return cli_fail(&err);
    eyni_server_opts so;
    memset(&so, 0, sizeof so);
    so.log = e.log;
    eyni_server *srv = NULL;
    char cert[4200], key[4200], webdir[4200];
    int rc = eyni_server_opts_from_config(e.cfg, &so, &err);
    /* Certificate and key names are relative to the data directory. */
    if (rc == 0 && so.tls_cert) {
        cmd_env_path(&e, so.tls_cert, cert, sizeof cert);
        so.tls_cert = cert;
    }
    if (rc == 0 && so.tls_key) {
        cmd_env_path(&e, so.tls_key, key, sizeof key);
        so.tls_key = key;
    }
    /* The console directory: --web, else server.web_dir (relative to the data directory),
     * else the console of the source tree; "" serves no console. */
    if (web)
        so.web_dir = web;
    else if (rc == 0 && so.web_dir && so.web_dir[0]) {
        cmd_env_path(&e, so.web_dir, webdir, sizeof webdir);
        so.web_dir = webdir;
    }
    eyni_identity *identity = NULL;
    eyni_identity_opts io;
    memset(&io, 0, sizeof io);
    io.log = e.log;
    char voice[4200];
    if (rc == 0)
        rc = eyni_identity_opts_from_config(e.cfg, &io, &err);
    io.node_key = e.node_key;
    if (rc == 0)
        io.voice_model = cmd_env_voice_model(&e, voice, sizeof voice);
    if (rc == 0)
        rc = eyni_identity_open(e.reg, &io, &identity, &err);
    so.identity = identity;
    /* Other nodes on the same database enrol too: follow their changes. */
    eyni_identity_follower *follower = NULL;
    long long follow_ms = 1000;
    if (rc == 0)
        rc = eyni_config_get_int(e.cfg, "identity.follow_ms", 1000, 10, 600000, &follow_ms, &err);
    if (rc == 0)
        rc = eyni_identity_follow(identity, (int)follow_ms, &follower, &err);
    eyni_dnareg *dna = NULL;
    eyni_dnareg_opts dno;
    memset(&dno, 0, sizeof dno);
    if (rc == 0)
        rc = eyni_dnareg_opts_from_config(e.cfg, &dno, &err);
    dno.log = e.log;
    if (rc == 0)
        rc = eyni_dnareg_open(e.reg, &dno, &dna, &err);
    so.dna = dna;
    eyni_events *events = NULL;
    video_service *video = NULL;
    if (rc == 0)
        rc = eyni_events_new(&events, &err);
    so.events = events;
    /* the service first: the server embeds wanted photos with its engine */
    if (rc == 0)
        rc = video_service_start(&e, events, &video, &err);
    so.wanted = video_service_embedder(video);
    if (rc == 0)
        rc = eyni_server_start(e.reg, &so, &srv, &err);
    /* With gallery sharding, peers find this node in the `nodes` table once it serves. */
    char url[300];
    if (rc == 0 && io.shards > 1)
        rc = node_url(&e, &so, eyni_server_port(srv), url, sizeof url, &err);
    if (rc == 0 && io.shards > 1)
        rc = eyni_identity_node_join(identity, url, &err);
    if (rc == 0 && port_file)
        rc = write_port_file(port_file, eyni_server_port(srv), &err);
    if (rc) {
        eyni_events_close(events);
        eyni_server_stop(srv);
        video_service_stop(video); /* after the server: a request may be embedding with it */
        eyni_identity_follow_stop(follower);
        eyni_dnareg_close(dna);
        eyni_events_free(events);
        eyni_identity_close(identity);
        cmd_env_close(&e);
        return cli_fail(&err);
    }
    char opkey[4200];
    cmd_env_path(&e, "operator.key", opkey, sizeof opkey);
    eyni_log_write(e.log, EYNI_LOG_INFO, "start",
                   "eynid listening on port %d (%s, %s); store %s; operator key in %s",
                   eyni_server_port(srv), so.listen, so.tls_cert ? "https" : "http",
                   eyni_config_get(e.cfg, "store.uri", ""), opkey);
    int sig = 0;
    sigwait(&set, &sig);
    eyni_log_write(e.log, EYNI_LOG_INFO, "stop", "signal %d: stopping", sig);
    eyni_events_close(events);
    eyni_server_stop(srv);
    video_service_stop(video); /* after the server: a request may be embedding with it */
    eyni_identity_follow_stop(follower);
    eyni_dnareg_close(dna);
    eyni_events_free(events);
    eyni_identity_close(identity);
    cmd_env_close(&e);
    return CLI_OK;
}
