/*
 * finding_text_http.c -- catalogue texts for the http findings (finding.h).
 */
#include "finding.h"

const struct vt_finding_text finding_text_http[] = {
        {0},
};
const size_t finding_text_http_n = 0;
