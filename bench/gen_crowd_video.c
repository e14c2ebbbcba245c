/*
 * gen_crowd_video: composes a synthetic crowd video from real LFW photos for the video
 * tests and `eyni bench video`. Faces (250x250 photos) drift across a 720p scene, grow or
 * shrink, overlap (the later one hides the earlier), some blurred, some with the lower face
 * covered; a few belong to a wanted list whose enrolment photo is a different picture of
 * the same person. Frames are piped as raw RGB into the ffmpeg command-line tool, which
 * encodes H.264. Beside the video: truth.json (who appears when, and for how long each face
 * was in view rather than hidden behind later faces) and wanted.tsv.
 *
 *   gen_crowd_video --lfw DIR/images --out DIR [--seconds 60] [--fps 25] [--seed 1]
 *                   [--wanted 8] [--faces 7] [--width 1280] [--height 720] [--format mp4|ts]
 *                   [--wanted-share 0.2] [--enrol-photos 1]
 *
 * --wanted-share 0 composes a video in which no wanted person ever appears (the wanted list
 * is still written): every alert on it is false, which is how false alerts per hour are
 * measured on footage never used for tuning.
 *
 * --enrol-photos N puts each wanted person's first N photos on the wanted list (at most all
 * but one: the video shows only photos that were not enrolled). Persons, places, blur and
 * cover are drawn as with N = 1, so the same seed gives the same scene with other photos
 * on the list and in the wanted passes: what enrolling more photos of a person gains.
 *
 * The LFW identities are split once, by a hash of the name, into the crowd (three in four,
 * used in videos and wanted lists) and the cohort (one in four, never put in a video): the
 * cohort's photos, written as cohort.tsv, are the non-wanted faces the wanted entries are
 * normalised against (docs/video.md), so no person of a video is ever in the cohort.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "eyni/image.h"

#define MAX_PERSONS 8000
#define MAX_PASSES  20000
#define PHOTO_SIDE  250

typedef struct person {
    char name[128];
    char **images;
    int nimages;
    int wanted_id; /* 0 = not wanted */
    int cohort;    /* 1: reserved for the cohort, never in a video */
} person;

typedef struct pass {
    int person, image, wanted_id;
    double start, end;
    double x0, y0, vx, vy, s0, s1;
    int blurred, occluded;
    eyni_image *photo; /* loaded while visible */
    /* visibility of the face under the passes drawn over it (see face_visible) */
    int in_view;
    double run_start, longest_run, appear;
} pass;

typedef struct gen {
    const char *lfw, *out, *format;
    double seconds, fps;
    double wanted_share; /* fraction of passes that are wanted persons */
    int enrol_photos;    /* photos of each wanted person on the list (all but one at most) */
    unsigned long long rng;
    int nwanted, faces, width, height;
    person *persons;
    int npersons;
    pass *passes;
    int npasses;
} gen;

static double urand(gen *g)
{
    g->rng ^= g->rng << 13;
    g->rng ^= g->rng >> 7;
    g->rng ^= g->rng << 17;
    return (double)(g->rng >> 11) / 9007199254740992.0;
}

static double uniform(gen *g, double a, double b)
{
    return a + (b - a) * urand(g);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The fixed split of identities: FNV-1a of the name, one in COHORT_SHARE to the cohort. The
 * same on every machine and for every seed. */
#define COHORT_SHARE 4

static int in_cohort(const char *name)
{
    unsigned h = 2166136261u;
    for (const unsigned char *c = (const unsigned char *)name; *c; c++)
        h = (h ^ *c) * 16777619u;
    return h % COHORT_SHARE == 0;
}

static int list_images(gen *g, person *p)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", g->lfw, p->name);
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".jpg"))
            continue;
        char **im = realloc(p->images, (p->nimages + 1) * sizeof *im);
        if (!im)
            break;
        p->images = im;
        p->images[p->nimages] = malloc(strlen(dir) + n + 2);
        sprintf(p->images[p->nimages++], "%s/%s", dir, e->d_name);
    }
    closedir(d);
    qsort(p->images, p->nimages, sizeof *p->images, cmp_str);
    return 0;
}

static int load_persons(gen *g)
{
    DIR *d = opendir(g->lfw);
    if (!d) {
        fprintf(stderr, "gen_crowd_video: cannot open %s\n", g->lfw);
        return -1;
    }
    g->persons = calloc(MAX_PERSONS, sizeof *g->persons);
    struct dirent *e;
    char **names = calloc(MAX_PERSONS, sizeof *names);
    int n = 0;
    while ((e = readdir(d)) && n < MAX_PERSONS)
        if (e->d_name[0] != '.')
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str); /* the same seed gives the same video */
    for (int i = 0; i < n; i++) {
        person *p = &g->persons[g->npersons];
        snprintf(p->name, sizeof p->name, "%s", names[i]);
        p->cohort = in_cohort(names[i]);
        free(names[i]);
        if (list_images(g, p) == 0 && p->nimages > 0)
            g->npersons++;
    }
    free(names);
    return g->npersons > g->nwanted * 3 ? 0 : -1;
}

/* The photos of p on the wanted list: its first ones, never all of them. */
static int enrolled(const gen *g, const person *p)
{
    return g->enrol_photos < p->nimages - 1 ? g->enrol_photos : p->nimages - 1;
}

/* Wanted persons need a second photo: the first enrols, the others appear in the video. */
static void pick_wanted(gen *g)
{
    for (int k = 1; k <= g->nwanted;) {
        person *p = &g->persons[(int)(urand(g) * g->npersons)];
        if (p->nimages >= 3 && !p->wanted_id && !p->cohort)
            p->wanted_id = k++;
    }
}

static void plan(gen *g)
{
    g->passes = calloc(MAX_PASSES, sizeof *g->passes);
    double mean_dur = 4.0, gap = mean_dur / g->faces;
    int next_wanted = 1;
    /* the scene starts full: the first passes begin at once, staggered in their ends */
    for (double t = -mean_dur; t < g->seconds - 2.5 && g->npasses < MAX_PASSES; t += gap) {
        pass *p = &g->passes[g->npasses];
        int wanted = urand(g) < g->wanted_share && t > 0;
        int pi;
        if (wanted) {
            for (pi = 0; g->persons[pi].wanted_id != next_wanted; pi++)
                ;
            next_wanted = next_wanted % g->nwanted + 1;
        } else {
            do
                pi = (int)(urand(g) * g->npersons);
            while (g->persons[pi].wanted_id || g->persons[pi].cohort);
        }
        person *pe = &g->persons[pi];
        p->person = pi;
        p->wanted_id = pe->wanted_id;
        int e = wanted ? enrolled(g, pe) : 0;
        p->image = e + (int)(urand(g) * (pe->nimages - e));
        p->start = t < 0 ? 0 : t;
        p->end = t + uniform(g, 2.5, 6.0);
        if (p->end <= p->start + 1.0)
            continue;
        if (p->end > g->seconds)
            p->end = g->seconds;
        p->s0 = uniform(g, 150, 270);
        p->s1 = p->s0 * uniform(g, 0.7, 1.4);
        p->x0 = uniform(g, 0, g->width - p->s0);
        p->y0 = uniform(g, 0, g->height - p->s0);
        p->vx = uniform(g, -120, 120);
        p->vy = uniform(g, -40, 40);
        p->blurred = urand(g) < 0.15;
        p->occluded = urand(g) < 0.15;
        p->appear = -1;
        g->npasses++;
    }
}

/* Position bounces off the frame edges, so a face stays fully in view while it passes. */
static double bounce(double x, double lo, double hi)
{
    double span = hi - lo;
    if (span <= 0)
        return lo;
    double u = fmod(x - lo, 2 * span);
    if (u < 0)
        u += 2 * span;
    return lo + (u <= span ? u : 2 * span - u);
}

static void box_blur(eyni_image *im, int r)
{
    int w = im->width, h = im->height;
    unsigned char *tmp = malloc((size_t)w * h);
    for (int pass_ = 0; pass_ < 2; pass_++) {
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int s = 0, n = 0;
                for (int k = -r; k <= r; k++) {
                    int xx = pass_ ? x : x + k, yy = pass_ ? y + k : y;
                    if (xx < 0 || yy < 0 || xx >= w || yy >= h)
                        continue;
                    s += im->data[(size_t)yy * w + xx];
                    n++;
                }
                tmp[(size_t)y * w + x] = (unsigned char)(s / n);
            }
        memcpy(im->data, tmp, (size_t)w * h);
    }
    free(tmp);
}

/* Where a pass's tile is at time t: its top-left corner and side in pixels. */
static void place(const gen *g, const pass *p, double t, int *ox, int *oy, int *side)
{
    double f = (t - p->start) / (p->end - p->start);
    int s = (int)(p->s0 + (p->s1 - p->s0) * f);
    *ox = (int)bounce(p->x0 + p->vx * (t - p->start), 0, g->width - s);
    *oy = (int)bounce(p->y0 + p->vy * (t - p->start), 0, g->height - s);
    *side = s;
}

/* The face core of an LFW tile (eyes to mouth of the aligned 250x250 photos), sampled on a
 * grid; a face counts as in view while no more than a quarter of its core lies under the
 * tiles drawn after it. A wanted person hidden behind others is not "appearing", so the
 * truth says for how long each face was actually in view (longest_run) and from when
 * (appear: the start of its first run in view of at least two seconds). */
#define CORE_X0      0.30
#define CORE_X1      0.70
#define CORE_Y0      0.35
#define CORE_Y1      0.72
#define CORE_GRID    10
#define CORE_HIDDEN  0.25
#define APPEAR_RUN_S 2.0

/* A pass's tile as drawn in one frame. */
typedef struct tile_at {
    int k, x, y, s;
} tile_at;

/* Whether the face of me is in view under the tiles drawn after it in the same frame. */
static int face_visible(const tile_at *me, const tile_at *later, int nlater)
{
    int covered = 0;
    for (int gy = 0; gy < CORE_GRID; gy++)
        for (int gx = 0; gx < CORE_GRID; gx++) {
            double px = me->x + me->s * (CORE_X0 + (CORE_X1 - CORE_X0) * (gx + 0.5) / CORE_GRID);
            double py = me->y + me->s * (CORE_Y0 + (CORE_Y1 - CORE_Y0) * (gy + 0.5) / CORE_GRID);
            for (int j = 0; j < nlater; j++) {
                const tile_at *q = &later[j];
                if (px >= q->x && px < q->x + q->s && py >= q->y && py < q->y + q->s) {
                    covered++;
                    break;
                }
            }
        }
    return covered <= CORE_HIDDEN * CORE_GRID * CORE_GRID;
}

/* Updates every drawn pass's runs in view after the frame at t (on: the tiles in drawing
 * order). */
static void track_views(gen *g, const tile_at *on, int n, double t)
{
    for (int i = 0; i < n; i++) {
        pass *p = &g->passes[on[i].k];
        if (!face_visible(&on[i], on + i + 1, n - i - 1)) {
            p->in_view = 0;
            continue;
        }
        if (!p->in_view)
            p->run_start = t, p->in_view = 1;
        double run = t + 1 / g->fps - p->run_start;
        if (run > p->longest_run)
            p->longest_run = run;
        if (run >= APPEAR_RUN_S - 1e-9 && p->appear < 0)
            p->appear = p->run_start;
    }
}

static void draw(gen *g, const pass *p, const tile_at *at, unsigned char *frame)
{
    int s = at->s;
    eyni_image *tile = NULL;
    eyni_error e = {0};
    if (eyni_image_resize(p->photo, s, s, &tile, &e))
        return;
    for (int r = 0; r < s; r++)
        for (int c = 0; c < s; c++) {
            unsigned char v = tile->data[(size_t)r * s + c];
            /* the covered lower face: a dark scarf from below the nose */
            if (p->occluded && r > s * 0.62 && c > s * 0.25 && c < s * 0.75)
                v = 40;
            unsigned char *px = frame + ((size_t)(at->y + r) * g->width + at->x + c) * 3;
            px[0] = px[1] = px[2] = v;
        }
    eyni_image_free(tile);
}

static void background(gen *g, unsigned char *bg)
{
    for (int y = 0; y < g->height; y++)
        for (int x = 0; x < g->width; x++) {
            unsigned char *px = bg + ((size_t)y * g->width + x) * 3;
            px[0] = (unsigned char)(60 + 80 * y / g->height);
            px[1] = (unsigned char)(90 + 60 * x / g->width);
            px[2] = (unsigned char)(110 + (int)(urand(g) * 12));
        }
}

static int load_photo(gen *g, pass *p)
{
    eyni_error e = {0};
    person *pe = &g->persons[p->person];
    if (eyni_image_load(pe->images[p->image], 1, &p->photo, &e)) {
        fprintf(stderr, "gen_crowd_video: %s\n", e.msg);
        return -1;
    }
    if (p->blurred)
        box_blur(p->photo, 4);
    return 0;
}

static int render(gen *g)
{
    char cmd[8192], path[4096];
    snprintf(path, sizeof path, "%s/crowd.%s", g->out, g->format);
    snprintf(cmd, sizeof cmd,
             "ffmpeg -hide_banner -loglevel error -y -f rawvideo -pix_fmt rgb24 -s %dx%d -r %g "
             "-i - -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p -g %d %s '%s'",
             g->width, g->height, g->fps, (int)(2 * g->fps),
             strcmp(g->format, "ts") == 0 ? "-f mpegts" : "-movflags +faststart", path);
    FILE *ff = popen(cmd, "w");
    if (!ff)
        return -1;
    size_t fb = (size_t)g->width * g->height * 3;
    unsigned char *bg = malloc(fb), *frame = malloc(fb);
    background(g, bg);
    long nframes = lround(g->seconds * g->fps);
    int rc = 0;
    tile_at *on = malloc((size_t)(g->npasses ? g->npasses : 1) * sizeof *on);
    for (long i = 0; i < nframes && rc == 0; i++) {
        double t = i / g->fps;
        int n = 0;
        memcpy(frame, bg, fb);
        for (int k = 0; k < g->npasses && rc == 0; k++) {
            pass *p = &g->passes[k];
            if (t < p->start || t >= p->end) {
                if (p->photo && t >= p->end) {
                    eyni_image_free(p->photo);
                    p->photo = NULL;
                }
                continue;
            }
            if (!p->photo)
                rc = load_photo(g, p);
            if (rc == 0) {
                tile_at *at = &on[n++];
                at->k = k;
                place(g, p, t, &at->x, &at->y, &at->s);
                draw(g, p, at, frame);
            }
        }
        track_views(g, on, n, t);
        if (rc == 0 && fwrite(frame, 1, fb, ff) != fb)
            rc = -1;
    }
    free(on);
    free(bg);
    free(frame);
    int st = pclose(ff);
    return rc || st ? -1 : 0;
}

static int write_truth(gen *g)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/truth.json", g->out);
    FILE *f = fopen(path, "w");
    snprintf(path, sizeof path, "%s/wanted.tsv", g->out);
    FILE *w = fopen(path, "w");
    if (!f || !w)
        return -1;
    fprintf(f, "{\"video\":\"crowd.%s\",\"fps\":%g,\"width\":%d,\"height\":%d,\"seconds\":%g,\n",
            g->format, g->fps, g->width, g->height, g->seconds);
    fprintf(f, "\"wanted\":[\n");
    int first = 1;
    for (int i = 0; i < g->npersons; i++) {
        person *p = &g->persons[i];
        if (!p->wanted_id)
            continue;
        fprintf(f, "%s{\"id\":%d,\"label\":\"%s\",\"enrol\":\"%s\"}", first ? "" : ",\n",
                p->wanted_id, p->name, p->images[0]);
        for (int k = 0; k < enrolled(g, p); k++)
            fprintf(w, "%d\t%s\t%s\n", p->wanted_id, p->name, p->images[k]);
        first = 0;
    }
    fprintf(f, "],\n\"passes\":[\n");
    for (int k = 0; k < g->npasses; k++) {
        pass *p = &g->passes[k];
        fprintf(f,
                "%s{\"label\":\"%s\",\"wanted_id\":%d,\"image\":\"%s\",\"start\":%.3f,"
                "\"end\":%.3f,\"size\":[%.0f,%.0f],\"blurred\":%s,\"occluded\":%s,"
                "\"visible_s\":%.3f,\"appear\":%.3f}",
                k ? ",\n" : "", g->persons[p->person].name, p->wanted_id,
                g->persons[p->person].images[p->image], p->start, p->end, p->s0, p->s1,
                p->blurred ? "true" : "false", p->occluded ? "true" : "false", p->longest_run,
                p->appear);
    }
    fprintf(f, "]}\n");
    fclose(w);
    return fclose(f) ? -1 : 0;
}

/* cohort.tsv: every photo of the cohort identities, in the wanted list's format. */
static int write_cohort(gen *g)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/cohort.tsv", g->out);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "# cohort: LFW identities whose name hashes to 0 mod %d, never in a video\n",
            COHORT_SHARE);
    int id = 0;
    for (int i = 0; i < g->npersons; i++)
        for (int k = 0; g->persons[i].cohort && k < g->persons[i].nimages; k++)
            fprintf(f, "%d\t%s\t%s\n", ++id, g->persons[i].name, g->persons[i].images[k]);
    return fclose(f) ? -1 : 0;
}

static void gen_free(gen *g)
{
    for (int i = 0; i < g->npersons; i++) {
        for (int k = 0; k < g->persons[i].nimages; k++)
            free(g->persons[i].images[k]);
        free(g->persons[i].images);
    }
    free(g->persons);
    for (int k = 0; k < g->npasses; k++)
        eyni_image_free(g->passes[k].photo);
    free(g->passes);
}

int main(int argc, char **argv)
{
    gen g = {.seconds = 60,
             .fps = 25,
             .rng = 1,
             .nwanted = 8,
             .faces = 7,
             .width = 1280,
             .height = 720,
             .wanted_share = 0.2,
             .enrol_photos = 1,
             .format = "mp4"};
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--lfw"))
            g.lfw = v;
        else if (!strcmp(k, "--out"))
            g.out = v;
        else if (!strcmp(k, "--seconds"))
            g.seconds = atof(v);
        else if (!strcmp(k, "--fps"))
            g.fps = atof(v);
        else if (!strcmp(k, "--seed"))
            g.rng = strtoull(v, NULL, 10) * 2654435761ull + 1;
        else if (!strcmp(k, "--wanted"))
            g.nwanted = atoi(v);
        else if (!strcmp(k, "--faces"))
            g.faces = atoi(v);
        else if (!strcmp(k, "--width"))
            g.width = atoi(v);
        else if (!strcmp(k, "--height"))
            g.height = atoi(v);
        else if (!strcmp(k, "--format"))
            g.format = v;
        else if (!strcmp(k, "--wanted-share"))
            g.wanted_share = atof(v);
        else if (!strcmp(k, "--enrol-photos"))
            g.enrol_photos = atoi(v);
        else
            g.lfw = NULL;
    }
    if (!g.lfw || !g.out || g.seconds < 3 || g.fps < 1 || g.nwanted < 1 || g.faces < 1 ||
        g.width < 640 || g.height < 360 || !(g.wanted_share >= 0 && g.wanted_share <= 1) ||
        g.enrol_photos < 1 || g.enrol_photos > 8 ||
        (strcmp(g.format, "mp4") && strcmp(g.format, "ts"))) {
        fprintf(stderr, "usage: gen_crowd_video --lfw DIR --out DIR [--seconds S] [--fps F] "
                        "[--seed N] [--wanted K] [--faces N] [--width W] [--height H] "
                        "[--format mp4|ts] [--wanted-share F] [--enrol-photos N]\n");
        return 2;
    }
    mkdir(g.out, 0700);
    if (load_persons(&g)) {
        fprintf(stderr, "gen_crowd_video: too few persons in %s\n", g.lfw);
        gen_free(&g);
        return 3;
    }
    pick_wanted(&g);
    plan(&g);
    /* the truth last: it records how long each face was in view while rendering, and a
     * folder with a truth.json holds a whole video */
    if (render(&g) || write_truth(&g) || write_cohort(&g)) {
        fprintf(stderr, "gen_crowd_video: writing %s failed\n", g.out);
        gen_free(&g);
        return 3;
    }
    gen_free(&g);
    fprintf(stderr, "gen_crowd_video: %d passes, %d wanted persons, %.0f s -> %s\n", g.npasses,
            g.nwanted, g.seconds, g.out);
    return 0;
}
