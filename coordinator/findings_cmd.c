/*
 * findings_cmd.c -- `vantage findings`: the catalogue of findings, for
 * people (a list, or one finding explained) and for programs (--json), and
 * the source of docs/findings.md (--markdown).
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include "../common/finding.h"
#include "../common/report.h"
#include "findings_cmd.h"

#define EXIT_USAGE 2

/* The catalogue's sections: the first id of each, in VT_FINDINGS order. */
static const struct {
	enum vt_finding_id first;
	const char *title;
} s_sections[] = {
        {VT_F_ALL_PASS, "Across vantages"},
        {VT_F_WEBROOT_MISMATCH, "HTTP-01"},
        {VT_F_INVALID_NAME, "DNS and names"},
        {VT_F_PROXY_IN_FRONT, "TLS-ALPN-01"},
        {VT_F_CAA_FORBIDS, "CAA"},
        {VT_F_CERT_EXPIRED, "The certificate on port 443 (tls-cert)"},
};

static const char s_usage[] =
        "usage: vantage findings [ID] [--json | --markdown]\n"
        "\n"
        "The catalogue of findings: what vantage concludes from a check, with the\n"
        "cause and the fix.  Without ID, lists every finding; with ID (case does not\n"
        "matter), explains that one.\n"
        "\n"
        "  --json      the catalogue (or one finding) as JSON\n"
        "  --markdown  the catalogue as Markdown (docs/findings.md)\n"
        "  -h, --help  this text\n"
        "\n"
        "Exit status: 0, or 2 for a usage error or an unknown ID.\n";

static json_t *s_str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *s_def_json(const struct vt_finding_def *d)
{
	const struct vt_finding_text *t = d->text;
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "id", json_string(d->name));
	json_object_set_new(o, "severity", json_string(vt_severity_name(d->severity)));
	json_object_set_new(o, "title", s_str_or_null(t != NULL ? t->title : NULL));
	json_object_set_new(o, "applies", s_str_or_null(t != NULL ? t->applies : NULL));
	json_object_set_new(o, "cause", s_str_or_null(t != NULL ? t->cause : NULL));
	json_object_set_new(o, "fix", s_str_or_null(t != NULL ? t->fix : NULL));
	json_object_set_new(o, "example", s_str_or_null(t != NULL ? t->example : NULL));
	json_object_set_new(o, "letsdebug", s_str_or_null(t != NULL ? t->letsdebug : NULL));
	json_object_set_new(o, "snippets", report_snippets_json(t));
	return o;
}

static void s_snippet(FILE *out, const char *name, const char *text, bool md)
{
	if (text == NULL)
		return;
	if (md)
		fprintf(out, "%s:\n\n```\n%s\n```\n\n", name, text);
	else
		report_print_snippet(out, 2, name, text);
}

/* One finding explained, for a terminal or as a Markdown section. */
static void s_explain(FILE *out, const struct vt_finding_def *d, bool md)
{
	const struct vt_finding_text *t = d->text;
	static const struct vt_finding_text none = {.title = "(no text)"};

	if (t == NULL)
		t = &none;
	if (md) {
		fprintf(out, "### %s\n\n", d->name);
		fprintf(out, "**%s** (%s; applies to: %s)\n\n", t->title,
		        vt_severity_name(d->severity), t->applies != NULL ? t->applies : "-");
		if (t->example != NULL)
			fprintf(out, "Example:\n\n```\n%s %s: %s\n```\n\n",
			        vt_severity_name(d->severity), d->name, t->example);
		fprintf(out, "**Cause.** %s\n\n", t->cause != NULL ? t->cause : "-");
		fprintf(out, "**Fix.** %s\n\n", t->fix != NULL ? t->fix : "-");
	} else {
		fprintf(out, "%s (%s): %s\n", d->name, vt_severity_name(d->severity), t->title);
		fprintf(out, "  applies to: %s\n", t->applies != NULL ? t->applies : "-");
		if (t->example != NULL)
			fprintf(out, "  example: %s\n", t->example);
		fprintf(out, "  cause: %s\n", t->cause != NULL ? t->cause : "-");
		fprintf(out, "  fix: %s\n", t->fix != NULL ? t->fix : "-");
	}
	for (size_t i = 0; i < FINDING_N_SNIPPETS; i++) {
		struct finding_snippet s = finding_snippet(t, i);
		s_snippet(out, s.label, s.text, md);
	}
	if (t->letsdebug != NULL)
		fprintf(out, md ? "letsdebug: `%s`\n\n" : "  letsdebug: %s\n", t->letsdebug);
}

/* letsdebug's problems (reference: acme-diagnostic-tools.md section 3)
 * that vantage does not check, and why. */
static const char s_left_out[] =
        "## letsdebug's problems vantage leaves out\n"
        "\n"
        "vantage covers every letsdebug problem about reachability, DNS and CAA (the\n"
        "`letsdebug:` line of each finding above names the counterpart).  These it\n"
        "leaves out, on purpose:\n"
        "\n"
        "- `InvalidMethod`: the command line refuses an unknown method before any\n"
        "  vantage is asked (`vantage check --method`; exit 2).\n"
        "- `RateLimit`: needs crt.sh, a third-party service on the Internet; vantage's\n"
        "  agents only talk to the site, its nameservers and the coordinator.\n"
        "- `IssueFromLetsEncrypt`, `ServiceBusy`: letsdebug asks Let's Encrypt's\n"
        "  staging CA for a real authorization.  vantage reproduces the validation\n"
        "  itself and does not spend the user's authorizations; `vantage doctor`\n"
        "  checks the path to the CA.\n"
        "- `StatusNotOperational`: Let's Encrypt's status page is not about the site.\n"
        "- `SanctionedDomain`: a legal list, not a reachability, DNS or CAA problem.\n"
        "- `CloudflareSSLNotProvisioned`: needs an HTTPS fetch through Cloudflare;\n"
        "  `CloudflareProxy` and `ProxyInFront` cover the Cloudflare cases that break\n"
        "  validation.\n";

void findings_markdown(FILE *out)
{
	size_t sec = 0;

	fputs("# Findings\n"
	      "\n"
	      "<!-- Generated by `vantage findings --markdown` from common/finding*.c;\n"
	      "     `make docs` rewrites this file and `make test` fails when it drifts. -->\n"
	      "\n"
	      "A check's table shows what each vantage saw; its **findings** say what that\n"
	      "means, the way an expert would read the table.  Each finding has a stable id\n"
	      "(used in `--json` and here), a severity, the vantages and addresses it\n"
	      "concerns, the evidence that triggered it, the cause and the fix.  `vantage\n"
	      "check` prints them under the table, most severe first; `--json` has them as\n"
	      "`findings` in each check (docs/json-schema.md), and each finding's summary is\n"
	      "also one line of the check's `diagnosis`.  `vantage findings ID` explains one.\n"
	      "\n"
	      "Severities: **fatal** -- cannot succeed from anywhere until fixed; **error**\n"
	      "-- validation fails (from some vantages or all); **warning** -- passes now, but\n"
	      "fragile or about to fail; **info** -- context, nothing to fix.  A finding never\n"
	      "changes the exit code: that follows the verdict only.\n"
	      "\n",
	      out);
	for (int i = VT_F_NONE + 1; i < VT_F__COUNT; i++) {
		const struct vt_finding_def *d = finding_def((enum vt_finding_id)i);
		while (sec < sizeof(s_sections) / sizeof(s_sections[0]) &&
		       s_sections[sec].first == (enum vt_finding_id)i)
			fprintf(out, "## %s\n\n", s_sections[sec++].title);
		s_explain(out, d, true);
	}
	fputs(s_left_out, out);
}

static void s_list(FILE *out)
{
	size_t sec = 0;

	for (int i = VT_F_NONE + 1; i < VT_F__COUNT; i++) {
		const struct vt_finding_def *d = finding_def((enum vt_finding_id)i);
		while (sec < sizeof(s_sections) / sizeof(s_sections[0]) &&
		       s_sections[sec].first == (enum vt_finding_id)i) {
			fprintf(out, "%s%s:\n", sec > 0 ? "\n" : "", s_sections[sec].title);
			sec++;
		}
		fprintf(out, "  %-22s %-8s %s\n", d->name, vt_severity_name(d->severity),
		        d->text != NULL ? d->text->title : "(no text)");
	}
	fputs("\n'vantage findings ID' explains one; docs/findings.md has them all.\n", out);
}

int findings_main(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, 'j'},
	        {"markdown", no_argument, NULL, 'm'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	bool json = false, md = false;
	const struct vt_finding_def *one = NULL;
	int ch;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = true;
			break;
		case 'm':
			md = true;
			break;
		case 'h':
			fputs(s_usage, stdout);
			return 0;
		default:
			fprintf(stderr, "vantage findings: unknown option %s\n%s", argv[optind - 1],
			        s_usage);
			return EXIT_USAGE;
		}
	}
	if (json && md) {
		fprintf(stderr, "vantage findings: --json and --markdown exclude each other\n");
		return EXIT_USAGE;
	}
	if (optind < argc - 1) {
		fprintf(stderr, "vantage findings: one ID at most\n%s", s_usage);
		return EXIT_USAGE;
	}
	if (optind == argc - 1) {
		one = finding_by_name(argv[optind]);
		if (one == NULL) {
			fprintf(stderr,
			        "vantage findings: no finding named \"%.64s\" ('vantage findings' "
			        "lists them)\n",
			        argv[optind]);
			return EXIT_USAGE;
		}
		if (md) {
			fprintf(stderr,
			        "vantage findings: --markdown prints the whole catalogue\n");
			return EXIT_USAGE;
		}
	}
	if (md) {
		findings_markdown(stdout);
		return 0;
	}
	if (json) {
		json_t *doc;
		char *text;
		if (one != NULL) {
			doc = s_def_json(one);
		} else {
			doc = json_array();
			for (int i = VT_F_NONE + 1; doc != NULL && i < VT_F__COUNT; i++)
				json_array_append_new(
				        doc, s_def_json(finding_def((enum vt_finding_id)i)));
		}
		text = doc != NULL ? json_dumps(doc, JSON_INDENT(2)) : NULL;
		json_decref(doc);
		if (text == NULL) {
			fprintf(stderr, "vantage findings: out of memory\n");
			return 1;
		}
		puts(text);
		free(text);
		return 0;
	}
	if (one != NULL)
		s_explain(stdout, one, false);
	else
		s_list(stdout);
	return 0;
}
