/*
 * findings_cmd.h -- `vantage findings [ID] [--json|--markdown]`: the
 * catalogue of findings (common/finding.h), listed, explained one by one,
 * as JSON, or as docs/findings.md (which `make docs-check` compares with
 * this output, so the documentation cannot drift from the code).
 */
#ifndef VANTAGE_FINDINGS_CMD_H
#define VANTAGE_FINDINGS_CMD_H

#include <stdio.h>

/* argv starts at "findings".  0, or 2 for a usage error or an unknown id. */
int findings_main(int argc, char **argv);

/* The whole catalogue as Markdown (docs/findings.md). */
void findings_markdown(FILE *out);

#endif
