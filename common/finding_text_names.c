/*
 * finding_text_names.c -- catalogue texts for the names findings (finding.h).
 */
#include "finding.h"

const struct vt_finding_text finding_text_names[] = {
        {0},
};
const size_t finding_text_names_n = 0;
