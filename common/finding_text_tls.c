/*
 * finding_text_tls.c -- catalogue texts for the tls findings (finding.h).
 */
#include "finding.h"

const struct vt_finding_text finding_text_tls[] = {
        {0},
};
const size_t finding_text_tls_n = 0;
