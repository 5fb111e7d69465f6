/*
 * finding_text_dns.c -- catalogue texts for the dns findings (finding.h).
 */
#include "finding.h"

const struct vt_finding_text finding_text_dns[] = {
        {0},
};
const size_t finding_text_dns_n = 0;
