/*
 * report.h -- the `--json` document and the human table.
 *
 * The JSON schema (docs/json-schema.md) is the contract: `vantage check
 * --json`, `vantage-agent probe --json` and the coordinator's API all emit
 * report_json(); the CLI prints its table from that same JSON, so a table
 * can never say something the JSON does not.
 */
#ifndef VANTAGE_REPORT_H
#define VANTAGE_REPORT_H

#include <stdio.h>
#include <jansson.h>

#include "verdict.h"

/* Build the document for n judged checks: {"version":1, "verdict":...,
 * "checks":[...]}.  Caller owns the returned object (json_decref); NULL on
 * ENOMEM. */
json_t *report_json(const struct vt_check *checks, size_t n);

/* One finding as JSON, with its catalogue text: {"id", "severity",
 * "summary", "vantages", "addresses", "evidence", "title", "cause", "fix",
 * "snippets": {"nginx", ...}}.  Caller owns it; NULL on ENOMEM. */
json_t *report_finding_json(const struct vt_finding *f);

/* A finding text's snippets as the JSON "snippets" object ({"nginx": ...};
 * only those it has).  Caller owns it; NULL on ENOMEM. */
json_t *report_snippets_json(const struct vt_finding_text *t);

/* A configuration snippet: "name:" indented by indent, then each of its
 * lines two further in.  Nothing when text is NULL. */
void report_print_snippet(FILE *out, size_t indent, const char *name, const char *text);

/* The top-level verdict of a document as an exit code: 0 pass, 1 fail, 3
 * unknown; 2 if the document is malformed. */
int report_exit_code(const json_t *doc);

/* Print the table (one row per vantage and domain), the failing vantages,
 * the diagnosis and the Let's Encrypt verdict for every check in doc.
 * Untrusted text (details from servers) is escaped before printing.
 * color: use ANSI colours. */
void report_print(const json_t *doc, FILE *out, bool color);

#endif
