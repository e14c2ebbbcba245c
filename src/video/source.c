/*
 * A video source through libavformat (container, network), libavcodec (decoding in
 * software) and libswscale (conversion to packed RGB). The container and codec parsers of
 * FFmpeg read the outside bytes; this file only follows their results and bounds them.
 */
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "video_int.h"

/* Consecutive packets that fail to decode before the stream is declared garbage. */
#define SOURCE_MAX_BAD_PACKETS 200

struct eyni_video_source {
    AVFormatContext *fmt;
    AVCodecContext *dec;
    struct SwsContext *sws;
    AVPacket *pkt;
    AVFrame *frame;
    int stream;
    int sws_w, sws_h, sws_fmt;
    double sample_step; /* seconds between handed-out frames; 0 = all */
    double next_t;      /* stream time of the next frame to hand out */
    double t0;          /* time of the first frame (streams rarely start at 0) */
    double last_t;      /* time of the previous decoded frame */
    int last_w, last_h; /* size of the previous decoded frame */
    int have_t0;
    double fps_guess;
    int timeout_ms, max_side;
    int draining; /* end of input reached, decoder being flushed */
    uint64_t decoded, errors, resizes, bad_run;
    atomic_int interrupted;
    atomic_llong deadline_ms; /* a blocking call past this is interrupted */
};

static long long now_ms(void)
{
    return (long long)eyni_time_ms();
}

/* libavformat polls this during blocking I/O: a stop request or a passed deadline ends it. */
static int interrupt_cb(void *opaque)
{
    eyni_video_source *s = opaque;
    return atomic_load(&s->interrupted) || now_ms() > atomic_load(&s->deadline_ms);
}

static void arm(eyni_video_source *s)
{
    atomic_store(&s->deadline_ms, now_ms() + s->timeout_ms);
}

static int av_fail(eyni_error *err, int code, const char *url, const char *what, int averr)
{
    char buf[128];
    av_strerror(averr, buf, sizeof buf);
    return eyni_error_set(err, code, "%s: %s: %s", url, what, buf);
}

static int open_decoder(eyni_video_source *s, const char *url, eyni_error *err)
{
    const AVCodec *codec = NULL;
    int idx = av_find_best_stream(s->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (idx < 0 || !codec)
        return eyni_error_set(err, EYNI_EFORMAT, "%s: no decodable video stream", url);
    s->stream = idx;
    AVStream *st = s->fmt->streams[idx];
    if (!(s->dec = avcodec_alloc_context3(codec)))
        return eyni_error_set(err, EYNI_ENOMEM, "%s: out of memory", url);
    int rc = avcodec_parameters_to_context(s->dec, st->codecpar);
    if (rc < 0)
        return av_fail(err, EYNI_EFORMAT, url, "codec parameters", rc);
    s->dec->thread_count = 1; /* one camera = one decoding thread; cameras run in parallel */
    if ((rc = avcodec_open2(s->dec, codec, NULL)) < 0)
        return av_fail(err, EYNI_EFORMAT, url, "cannot open the decoder", rc);
    AVRational r = st->avg_frame_rate.num ? st->avg_frame_rate : st->r_frame_rate;
    s->fps_guess = r.num && r.den ? av_q2d(r) : 25;
    if (s->fps_guess <= 0 || s->fps_guess > 1000)
        s->fps_guess = 25;
    return 0;
}

int eyni_video_source_open(const char *url, const eyni_video_source_opts *opts,
                           eyni_video_source **out, eyni_error *err)
{
    if (!url || !*url || strlen(url) >= EYNI_VIDEO_MAX_URL)
        return eyni_error_set(err, EYNI_EINVAL, "video source: address must be 1..%d bytes",
                              EYNI_VIDEO_MAX_URL - 1);
    eyni_video_source *s = calloc(1, sizeof *s);
    if (!s)
        return eyni_error_set(err, EYNI_ENOMEM, "video source: out of memory");
    s->timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms : 5000;
    s->max_side = opts && opts->max_side > 0 ? opts->max_side : EYNI_VIDEO_MAX_SIDE;
    s->sample_step = opts && opts->sample_fps > 0 ? 1.0 / opts->sample_fps : 0;
    s->sws_fmt = -1;
    av_log_set_level(AV_LOG_FATAL); /* errors come back as eyni_error, not on stderr */
    int rc = 0;
    if (!(s->fmt = avformat_alloc_context()) || !(s->pkt = av_packet_alloc()) ||
        !(s->frame = av_frame_alloc())) {
        eyni_video_source_free(s);
        return eyni_error_set(err, EYNI_ENOMEM, "video source: out of memory");
    }
    s->fmt->interrupt_callback = (AVIOInterruptCB){interrupt_cb, s};
    AVDictionary *o = NULL;
    char us[32];
    snprintf(us, sizeof us, "%lld", (long long)s->timeout_ms * 1000);
    av_dict_set(&o, "rw_timeout", us, 0);
    av_dict_set(&o, "timeout", us, 0);
    arm(s);
    rc = avformat_open_input(&s->fmt, url, NULL, &o); /* frees fmt on failure */
    av_dict_free(&o);
    if (rc < 0) {
        int code = rc == AVERROR_INVALIDDATA ? EYNI_EFORMAT : EYNI_EIO;
        eyni_video_source_free(s);
        return av_fail(err, code, url, "cannot open", rc);
    }
    arm(s);
    if ((rc = avformat_find_stream_info(s->fmt, NULL)) < 0) {
        eyni_video_source_free(s);
        return av_fail(err, EYNI_EFORMAT, url, "no stream information", rc);
    }
    if ((rc = open_decoder(s, url, err))) {
        eyni_video_source_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void eyni_video_source_free(eyni_video_source *s)
{
    if (!s)
        return;
    sws_freeContext(s->sws);
    avcodec_free_context(&s->dec);
    avformat_close_input(&s->fmt);
    av_packet_free(&s->pkt);
    av_frame_free(&s->frame);
    free(s);
}

void eyni_video_source_interrupt(eyni_video_source *s)
{
    atomic_store(&s->interrupted, 1);
}

void eyni_video_source_counts(const eyni_video_source *s, uint64_t *decoded, uint64_t *errors,
                              uint64_t *resizes)
{
    *decoded = s->decoded;
    *errors = s->errors;
    *resizes = s->resizes;
}

/* Stream seconds of the decoded frame, from its timestamp or else its position. */
static double frame_time(eyni_video_source *s)
{
    int64_t ts = s->frame->best_effort_timestamp;
    double t = ts != AV_NOPTS_VALUE ? ts * av_q2d(s->fmt->streams[s->stream]->time_base)
                                    : (double)s->decoded / s->fps_guess;
    if (!s->have_t0) {
        s->t0 = t;
        s->have_t0 = 1;
    }
    return t - s->t0;
}

/* Counts a change of picture size between decoded frames (sampled or not). */
static void note_size(eyni_video_source *s)
{
    if (s->last_w && (s->frame->width != s->last_w || s->frame->height != s->last_h))
        s->resizes++;
    s->last_w = s->frame->width;
    s->last_h = s->frame->height;
}

/* Converts the decoded frame, rebuilding the converter when the size or format changed. */
static int convert(eyni_video_source *s, eyni_image **out, eyni_error *err)
{
    AVFrame *f = s->frame;
    if (f->width <= 0 || f->height <= 0 || f->width > s->max_side || f->height > s->max_side)
        return eyni_error_set(err, EYNI_EFORMAT, "video frame of %dx%d outside 1..%d pixels",
                              f->width, f->height, s->max_side);
    if (f->width != s->sws_w || f->height != s->sws_h || f->format != s->sws_fmt) {
        sws_freeContext(s->sws);
        s->sws = sws_getContext(f->width, f->height, f->format, f->width, f->height,
                                AV_PIX_FMT_RGB24, SWS_BILINEAR, NULL, NULL, NULL);
        s->sws_w = f->width;
        s->sws_h = f->height;
        s->sws_fmt = f->format;
        if (!s->sws) {
            s->sws_w = 0;
            return eyni_error_set(err, EYNI_EFORMAT, "video frame: unsupported pixel format %d",
                                  f->format);
        }
    }
    eyni_image *img = eyni_image_new(f->width, f->height, 3, err);
    if (!img)
        return err ? err->code : EYNI_ENOMEM;
    uint8_t *dst[4] = {img->data, NULL, NULL, NULL};
    int stride[4] = {f->width * 3, 0, 0, 0};
    sws_scale(s->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst, stride);
    *out = img;
    return 0;
}

/* Feeds packets until the decoder has a frame (0), the input ends (1) or fails (< 0). */
static int decode_next(eyni_video_source *s, eyni_error *err)
{
    for (;;) {
        int rc = avcodec_receive_frame(s->dec, s->frame);
        if (rc == 0)
            return 0;
        if (rc == AVERROR_EOF)
            return 1;
        if (rc != AVERROR(EAGAIN)) {
            /* a broken picture: skip it; a long run of them means garbage */
            if (++s->bad_run > SOURCE_MAX_BAD_PACKETS)
                return av_fail(err, EYNI_EFORMAT, "video", "undecodable stream", rc);
            s->errors++;
            continue;
        }
        if (s->draining)
            return 1;
        arm(s);
        rc = av_read_frame(s->fmt, s->pkt);
        if (rc == AVERROR_EOF) {
            s->draining = 1;
            avcodec_send_packet(s->dec, NULL);
            continue;
        }
        if (rc < 0) {
            if (atomic_load(&s->interrupted))
                return eyni_error_set(err, EYNI_EIO, "video: read interrupted");
            return av_fail(err, EYNI_EIO, "video", "read failed", rc);
        }
        if (s->pkt->stream_index == s->stream) {
            rc = avcodec_send_packet(s->dec, s->pkt);
            if (rc < 0 && rc != AVERROR(EAGAIN)) {
                s->errors++;
                if (++s->bad_run > SOURCE_MAX_BAD_PACKETS) {
                    av_packet_unref(s->pkt);
                    return av_fail(err, EYNI_EFORMAT, "video", "undecodable stream", rc);
                }
            }
        }
        av_packet_unref(s->pkt);
    }
}

int eyni_video_source_read(eyni_video_source *s, eyni_image **frame, double *t, eyni_error *err)
{
    for (;;) {
        int rc = decode_next(s, err);
        if (rc)
            return rc;
        s->decoded++;
        s->bad_run = 0;
        double ft = frame_time(s);
        note_size(s);
        /* sampling by stream time, so the analysed rate does not depend on the source rate;
         * when time goes backwards (joined recordings, a restarted encoder) it starts over */
        if (s->sample_step > 0) {
            if (ft < s->last_t)
                s->next_t = ft;
            s->last_t = ft;
            if (ft + 1e-6 < s->next_t) {
                av_frame_unref(s->frame);
                continue;
            }
            double grid = s->next_t + s->sample_step;
            s->next_t = grid > ft && grid - ft <= s->sample_step ? grid : ft + s->sample_step;
        }
        rc = convert(s, frame, err);
        av_frame_unref(s->frame);
        if (rc)
            return rc;
        *t = ft;
        return 0;
    }
}
