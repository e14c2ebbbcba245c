/* Biographic name matching for watchlists and bans: a phonetic key that survives the usual
 * transliterations of Azerbaijani, Russian and Latin spellings (Əliyev, Aliyev, Aliev,
 * Eliyev; Quliyev, Guliyev; Xəlilov, Khalilov), compared by Damerau-Levenshtein distance. */
#include <string.h>

#include "register_int.h"

typedef struct digraph {
    const char *from;
    char to;
} digraph;

/* Spellings of one sound collapse to one letter. Order matters: longer patterns first. */
static const digraph digraphs[] = {
    {"kh", 'x'}, {"sh", 's'}, {"ch", 'c'}, {"zh", 'j'}, {"gh", 'g'}, {"dzh", 'c'},
    {"yu", 'u'}, {"ya", 'a'}, {"yo", 'o'}, {"ye", 'a'}, {"ph", 'f'}, {"ou", 'u'},
};

static int take_digraph(const char *s, char *out)
{
    for (size_t i = 0; i < sizeof digraphs / sizeof digraphs[0]; i++) {
        size_t n = strlen(digraphs[i].from);
        if (strncmp(s, digraphs[i].from, n) == 0) {
            *out = digraphs[i].to;
            return (int)n;
        }
    }
    return 0;
}

/* Single letters that transliterations swap: q/g (Quliyev, Guliyev), w/v, y/i, and the
 * vowel ə written as a or e. */
static char single(char c)
{
    switch (c) {
    case 'q': return 'g';
    case 'w': return 'v';
    case 'y': return 'i';
    case 'e': return 'a';
    default: return c;
    }
}

int reg_name_key(const char *name, char *out, size_t cap, eyni_error *err)
{
    char folded[4 * EYNI_NAME_MAX];
    int rc = eyni_text_fold(name ? name : "", folded, sizeof folded, err);
    if (rc)
        return rc;
    size_t n = 0;
    for (const char *p = folded; *p && n + 1 < cap;) {
        char c;
        int used = take_digraph(p, &c);
        if (!used) {
            c = single(*p);
            used = 1;
        }
        p += used;
        if (c == ' ' || c == '-')
            continue; /* "Abdul Rahman" and "Abdulrahman" are one name */
        if (n > 0 && out[n - 1] == c)
            continue; /* doubled letters are spelling noise */
        out[n++] = c;
    }
    out[n] = '\0';
    return 0;
}

static int min3(int a, int b, int c)
{
    int m = a < b ? a : b;
    return m < c ? m : c;
}

/* Optimal string alignment distance (Damerau-Levenshtein with adjacent transpositions). */
static int distance(const char *a, const char *b)
{
    int la = (int)strlen(a), lb = (int)strlen(b);
    if (la > 120 || lb > 120)
        return la > lb ? la : lb;
    int d[121][121];
    for (int i = 0; i <= la; i++)
        d[i][0] = i;
    for (int j = 0; j <= lb; j++)
        d[0][j] = j;
    for (int i = 1; i <= la; i++) {
        for (int j = 1; j <= lb; j++) {
            int cost = a[i - 1] != b[j - 1];
            d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < d[i][j])
                d[i][j] = d[i - 2][j - 2] + 1;
        }
    }
    return d[la][lb];
}

double reg_name_similarity(const char *key_a, const char *key_b)
{
    int la = (int)strlen(key_a), lb = (int)strlen(key_b);
    int m = la > lb ? la : lb;
    if (m == 0)
        return 0;
    return 1.0 - (double)distance(key_a, key_b) / m;
}
