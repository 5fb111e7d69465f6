/*
 * finding_text_core.c -- catalogue texts for the findings across vantages
 * (finding.h).
 */
#include "finding.h"

const struct vt_finding_text finding_text_core[] = {
        {0},
};
const size_t finding_text_core_n = 0;
