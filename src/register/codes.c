/* Code lists the register validates against. */
#include <stdlib.h>
#include <string.h>

#include "register_int.h"

/* ISO 3166-1 alpha-3 (249 codes, sorted), three letters each, no separators. */
static const char iso3166[] =
    "ABWAFGAGOAIAALAALBANDAREARGARMASMATAATFATGAUSAUTAZEBDIBELBEN"
    "BESBFABGDBGRBHRBHSBIHBLMBLRBLZBMUBOLBRABRBBRNBTNBVTBWACAFCAN"
    "CCKCHECHLCHNCIVCMRCODCOGCOKCOLCOMCPVCRICUBCUWCXRCYMCYPCZEDEU"
    "DJIDMADNKDOMDZAECUEGYERIESHESPESTETHFINFJIFLKFRAFROFSMGABGBR"
    "GEOGGYGHAGIBGINGLPGMBGNBGNQGRCGRDGRLGTMGUFGUMGUYHKGHMDHNDHRV"
    "HTIHUNIDNIMNINDIOTIRLIRNIRQISLISRITAJAMJEYJORJPNKAZKENKGZKHM"
    "KIRKNAKORKWTLAOLBNLBRLBYLCALIELKALSOLTULUXLVAMACMAFMARMCOMDA"
    "MDGMDVMEXMHLMKDMLIMLTMMRMNEMNGMNPMOZMRTMSRMTQMUSMWIMYSMYTNAM"
    "NCLNERNFKNGANICNIUNLDNORNPLNRUNZLOMNPAKPANPCNPERPHLPLWPNGPOL"
    "PRIPRKPRTPRYPSEPYFQATREUROURUSRWASAUSDNSENSGPSGSSHNSJMSLBSLE"
    "SLVSMRSOMSPMSRBSSDSTPSURSVKSVNSWESWZSXMSYCSYRTCATCDTGOTHATJK"
    "TKLTKMTLSTONTTOTUNTURTUVTWNTZAUGAUKRUMIURYUSAUZBVATVCTVENVGB"
    "VIRVNMVUTWLFWSMYEMZAFZMBZWE";

/* Doc 9303 part 3 codes used for nationality that are not ISO 3166 countries: stateless
 * (XXA), refugees (XXB, XXC), unspecified (XXX), UN (UNO, UNA, UNK), EU (EUE), Kosovo (RKS),
 * Order of Malta (XOM). */
static const char icao_extra[] = "XXAXXBXXCXXXUNOUNAUNKEUERKSXOM";

static int in_packed(const char *list, const char *code)
{
    size_t n = strlen(list) / 3;
    for (size_t i = 0; i < n; i++)
        if (memcmp(list + 3 * i, code, 3) == 0)
            return 1;
    return 0;
}

int reg_country_valid(const char *s)
{
    if (!s || strlen(s) != 3)
        return 0;
    for (int i = 0; i < 3; i++)
        if (s[i] < 'A' || s[i] > 'Z')
            return 0;
    return in_packed(iso3166, s) || in_packed(icao_extra, s);
}

static int in_list(const char *const *list, const char *s)
{
    for (size_t i = 0; s && list[i]; i++)
        if (strcmp(list[i], s) == 0)
            return 1;
    return 0;
}

int reg_marital_valid(const char *s)
{
    static const char *const v[] = {"single", "married", "divorced", "widowed", NULL};
    return in_list(v, s);
}

int reg_blood_valid(const char *s)
{
    static const char *const v[] = {"O+", "O-", "A+", "A-", "B+", "B-", "AB+", "AB-", NULL};
    return in_list(v, s);
}

/* Eye colours as ANSI/NIST-ITL field 2.031-style descriptive values. */
int reg_eye_valid(const char *s)
{
    static const char *const v[] = {"black", "blue",  "brown",        "grey",  "green",
                                    "hazel", "maroon", "multicoloured", "pink", "unknown",
                                    NULL};
    return in_list(v, s);
}
