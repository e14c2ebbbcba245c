/* The country's document types: what each is called, its MRZ document code and size, how
 * long it is valid, how its numbers look, and who may hold it. */
#include <string.h>

#include "eyni/mrtd.h"
#include "register_int.h"

static const reg_doctype types[] = {
    {"passport", "P", EYNI_MRZ_TD3, 10, "C", "citizen", "citizen's passport"},
    {"id_card", "ID", EYNI_MRZ_TD1, 10, "AA", "citizen", "citizen's identity card"},
    {"stateless_travel_document", "PT", EYNI_MRZ_TD3, 5, "ST", "stateless",
     "travel document of a stateless person"},
    {"stateless_id_card", "ID", EYNI_MRZ_TD1, 5, "SI", "stateless",
     "identity card of a stateless person"},
    {"residence_card", "IR", EYNI_MRZ_TD1, 5, "RC", "foreigner",
     "foreigner's temporary residence card"},
    {"immigrant_card", "IM", EYNI_MRZ_TD1, 10, "IM", "foreigner",
     "permanent residence (immigrant) card"},
    {"seafarer_document", "IS", EYNI_MRZ_TD1, 5, "SD", "citizen", "seafarer's identity document"},
    {"return_certificate", "PR", EYNI_MRZ_TD3, 1, "RT", "citizen",
     "certificate of return to the country"},
    {"driving_licence", NULL, 0, 10, "DL", "any", "driving licence (ISO/IEC 18013, no ICAO MRZ)"},
    {NULL, NULL, 0, 0, NULL, NULL, NULL},
};

const reg_doctype *reg_doctypes(void)
{
    return types;
}

const reg_doctype *reg_doctype_find(const char *name)
{
    for (const reg_doctype *t = types; name && t->name; t++)
        if (strcmp(t->name, name) == 0)
            return t;
    return NULL;
}

json_t *eyni_register_doctypes_json(void)
{
    json_t *list = json_array();
    for (const reg_doctype *t = types; t->name; t++)
        json_array_append_new(
            list, json_pack("{s:s, s:s?, s:s?, s:i, s:s, s:s}", "name", t->name, "code", t->code,
                            "format", t->code ? eyni_mrz_format_name(t->format) : NULL, "years",
                            t->years, "holders", t->holders, "description", t->description));
    return json_pack("{s:o}", "types", list);
}
