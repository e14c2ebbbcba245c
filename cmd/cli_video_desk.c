/*
 * `eyni watch
 * add-camera|list|camera|remove-camera|events|decide|revoke-lookalike|add-wanted|wanted|
 * remove-wanted|purge`: the central
 * desk's records, as the local operator on the data directory (the running eynid picks up new
 * cameras and wanted faces within video.poll_seconds).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_video.h"
#include "common.h"
#include "eyni/video_desk.h"
#include "video_service.h"

typedef struct desk_args {
    const char *data, *name, *url, *label, *photo, *fin, *reason, *decision, *note, *pos;
    double fps;
    long long after, limit, days;
    int json, removed, lookalike;
} desk_args;

static int parse(int argc, char **argv, desk_args *a)
{
    memset(a, 0, sizeof *a);
    a->limit = 100;
    for (int i = 2; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char **dst = NULL;
        if (!strcmp(k, "--json")) {
            a->json = 1;
            continue;
        }
        if (!strcmp(k, "--removed")) {
            a->removed = 1;
            continue;
        }
        if (!strcmp(k, "--lookalike")) {
            a->lookalike = 1;
            continue;
        }
        if (k[0] != '-') {
            if (a->pos)
                return -1;
            a->pos = k;
            continue;
        }
        if (!v)
            return -1;
        i++;
        if (!strcmp(k, "--data"))
            dst = &a->data;
        else if (!strcmp(k, "--name"))
            dst = &a->name;
        else if (!strcmp(k, "--url"))
            dst = &a->url;
        else if (!strcmp(k, "--label"))
            dst = &a->label;
        else if (!strcmp(k, "--photo"))
            dst = &a->photo;
        else if (!strcmp(k, "--fin"))
            dst = &a->fin;
        else if (!strcmp(k, "--reason"))
            dst = &a->reason;
        else if (!strcmp(k, "--decision"))
            dst = &a->decision;
        else if (!strcmp(k, "--note"))
            dst = &a->note;
        else if (!strcmp(k, "--fps"))
            a->fps = atof(v);
        else if (!strcmp(k, "--after"))
            a->after = atoll(v);
        else if (!strcmp(k, "--limit"))
            a->limit = atoll(v);
        else if (!strcmp(k, "--days"))
            a->days = atoll(v);
        else
            return -1;
        if (dst)
            *dst = v;
    }
    return 0;
}

/* The photo's embedding and its blurred copy's (*copy 0 when the face is too small for one),
 * with the enrolment check's verdict; a photo that will match badly in video is said so. */
static int embed_photo(const char *path, float rel, float emb[EYNI_FACE_DIM],
                       float blurred[EYNI_FACE_DIM], int *copy, json_t **quality, eyni_error *err)
{
    cli_video_engine v;
    eyni_image *img = NULL;
    int rc = cli_video_engine_open(&v, NULL, 0, err);
    if (rc == 0)
        rc = eyni_image_load(path, 3, &img, err);
    if (rc == 0)
        rc = video_wanted_photo(v.fe, img, rel, emb, blurred, copy, quality, err);
    if (rc == 0 && json_array_size(json_object_get(*quality, "warnings")))
        fprintf(stderr,
                "eyni watch add-wanted: warning: %s: enrolment photo quality %.0f, "
                "it may not be matched in video (see \"quality\")\n",
                path, json_real_value(json_object_get(*quality, "score")));
    eyni_image_free(img);
    cli_video_engine_close(&v);
    return rc;
}

static int desk_run(const char *verb, desk_args *a, cmd_env *e, const eyni_actor *ac, json_t **out,
                    eyni_error *err)
{
    if (!strcmp(verb, "add-camera")) {
        json_t *in = json_pack("{s:s?,s:s?}", "name", a->name, "url", a->url);
        if (a->fps > 0)
            json_object_set_new(in, "sample_fps", json_real(a->fps));
        int rc = eyni_desk_camera_add(e->reg, ac, in, out, err);
        json_decref(in);
        return rc;
    }
    if (!strcmp(verb, "list"))
        return eyni_desk_camera_list(e->reg, ac, out, err);
    if (!strcmp(verb, "camera"))
        return eyni_desk_camera_get(e->reg, ac, a->pos ? atoll(a->pos) : 0, out, err);
    if (!strcmp(verb, "remove-camera")) {
        char name[80] = "";
        long long id = a->pos ? atoll(a->pos) : 0;
        int rc = eyni_desk_camera_remove(e->reg, ac, id, name, sizeof name, err);
        if (rc == 0)
            *out = json_pack("{s:I,s:s,s:b}", "id", (json_int_t)id, "name", name, "removed", 1);
        return rc;
    }
    if (!strcmp(verb, "events"))
        return eyni_desk_alert_list(e->reg, ac, a->after, a->decision, (int)a->limit, out, err);
    if (!strcmp(verb, "decide")) {
        long long id = a->pos ? atoll(a->pos) : 0;
        int rc = eyni_desk_alert_decide(e->reg, ac, id, a->decision, a->note, a->lookalike, err);
        if (rc == 0)
            *out = json_pack("{s:I,s:s,s:b}", "id", (json_int_t)id, "decision", a->decision,
                             "lookalike", a->lookalike);
        return rc;
    }
    if (!strcmp(verb, "revoke-lookalike")) {
        long long id = a->pos ? atoll(a->pos) : 0;
        int rc = eyni_desk_lookalike_revoke(e->reg, ac, id, a->reason, err);
        if (rc == 0)
            *out = json_pack("{s:I,s:b}", "id", (json_int_t)id, "lookalike", 0);
        return rc;
    }
    if (!strcmp(verb, "add-wanted")) {
        float emb[EYNI_FACE_DIM], blurred[EYNI_FACE_DIM];
        long long id = 0;
        int copy = 0;
        json_t *quality = NULL;
        if (!a->photo)
            return eyni_error_set(err, EYNI_EINVAL, "add-wanted needs --photo FILE");
        float rel = 0;
        int rc = video_service_blurred_copy(e->cfg, &rel, err);
        if (rc == 0)
            rc = embed_photo(a->photo, rel, emb, blurred, &copy, &quality, err);
        if (rc == 0)
            rc = eyni_desk_wanted_add(e->reg, ac, a->label, a->fin, a->reason, emb,
                                      copy ? blurred : NULL, &id, err);
        if (rc == 0)
            *out = json_pack("{s:I,s:s,s:O}", "id", (json_int_t)id, "label", a->label, "quality",
                             quality);
        json_decref(quality);
        return rc;
    }
    if (!strcmp(verb, "wanted"))
        return eyni_desk_wanted_list(e->reg, ac, a->removed, out, err);
    if (!strcmp(verb, "remove-wanted")) {
        long long id = a->pos ? atoll(a->pos) : 0;
        int rc = eyni_desk_wanted_remove(e->reg, ac, id, a->reason, err);
        if (rc == 0)
            *out = json_pack("{s:I,s:b}", "id", (json_int_t)id, "removed", 1);
        return rc;
    }
    if (!strcmp(verb, "purge")) {
        long long n = 0;
        int rc = eyni_desk_purge(e->reg, ac, a->days ? (int)a->days : EYNI_DESK_RETENTION_DEFAULT,
                                 &n, err);
        if (rc == 0)
            *out = json_pack("{s:I}", "deleted", (json_int_t)n);
        return rc;
    }
    return eyni_error_set(err, EYNI_EINVAL, "unknown subcommand '%s'", verb);
}

int cli_watch_desk(int argc, char **argv)
{
    static const char *usage =
        "eyni watch run --video FILE|URL --wanted LIST.tsv ...   (offline, see docs/video.md)\n"
        "eyni watch add-camera --name NAME --url URL [--fps 5]\n"
        "eyni watch list\n"
        "eyni watch camera ID           (with its statistics)\n"
        "eyni watch remove-camera ID    (stops it; its alerts stay)\n"
        "eyni watch events [--after ID] [--decision open|acknowledged|dismissed] [--limit N]\n"
        "eyni watch decide ID --decision acknowledged|dismissed [--note TEXT] [--lookalike]\n"
        "eyni watch revoke-lookalike ID --reason TEXT   (dismissed as a look-alike wrongly)\n"
        "eyni watch add-wanted --label TEXT --photo FILE --reason TEXT [--fin FIN]\n"
        "eyni watch wanted [--removed]  (the wanted faces, without templates)\n"
        "eyni watch remove-wanted ID --reason TEXT   (warrant ended: templates erased)\n"
        "eyni watch purge [--days N]\n"
        "  (all take --data DIR and --json)";
    desk_args a;
    if (parse(argc, argv, &a))
        return cli_usage(usage);
    eyni_error err = {0};
    cmd_env e;
    json_t *out = NULL;
    int rc = cmd_env_open(&e, cli_data_dir(a.data), NULL, 1, &err);
    if (rc == 0) {
        eyni_actor ac;
        eyni_actor_local(&ac, eyni_config_get(e.cfg, "cli.agency", "LOCAL"),
                         "video watch desk (command line)");
        rc = desk_run(argv[1], &a, &e, &ac, &out, &err);
        cmd_env_close(&e);
    }
    if (rc) {
        if (rc == EYNI_EINVAL && strstr(err.msg, "unknown subcommand"))
            return cli_usage(usage);
        return cli_fail(&err);
    }
    return cli_emit(out, a.json);
}
