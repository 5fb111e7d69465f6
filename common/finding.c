/*
 * finding.c -- the catalogue of findings (finding.h): ids, names and
 * default severities from VT_FINDINGS, texts from finding_text_*.c, and
 * the small helpers that fill one finding.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "finding.h"

static const struct {
	const char *name;
	enum vt_severity severity;
} s_names[VT_F__COUNT] = {[VT_F_NONE] = {"unknown", VT_SEV_INFO},
#define VT_F_ROW(e, n, sev) [VT_F_##e] = {n, VT_SEV_##sev},
                          VT_FINDINGS(VT_F_ROW)
#undef VT_F_ROW
};

static const struct {
	const struct vt_finding_text *texts;
	const size_t *n;
} s_areas[] = {
        {finding_text_core, &finding_text_core_n},   {finding_text_http, &finding_text_http_n},
        {finding_text_dns, &finding_text_dns_n},     {finding_text_tls, &finding_text_tls_n},
        {finding_text_names, &finding_text_names_n},
};

static const struct vt_finding_text *s_text(enum vt_finding_id id)
{
	for (size_t a = 0; a < sizeof(s_areas) / sizeof(s_areas[0]); a++)
		for (size_t i = 0; i < *s_areas[a].n; i++)
			if (s_areas[a].texts[i].id == id)
				return &s_areas[a].texts[i];
	return NULL;
}

const struct vt_finding_def *finding_def(enum vt_finding_id id)
{
	static struct vt_finding_def defs[VT_F__COUNT];
	static bool ready;

	if ((int)id <= (int)VT_F_NONE || (int)id >= (int)VT_F__COUNT)
		return NULL;
	if (!ready) { /* idempotent: every thread would write the same values */
		for (int i = VT_F_NONE + 1; i < VT_F__COUNT; i++) {
			defs[i].id = (enum vt_finding_id)i;
			defs[i].name = s_names[i].name;
			defs[i].severity = s_names[i].severity;
			defs[i].text = s_text((enum vt_finding_id)i);
		}
		ready = true;
	}
	return &defs[id];
}

const struct vt_finding_def *finding_by_name(const char *name)
{
	if (name == NULL)
		return NULL;
	for (int i = VT_F_NONE + 1; i < VT_F__COUNT; i++)
		if (strcasecmp(s_names[i].name, name) == 0)
			return finding_def((enum vt_finding_id)i);
	return NULL;
}

const char *finding_name(enum vt_finding_id id)
{
	if ((int)id <= (int)VT_F_NONE || (int)id >= (int)VT_F__COUNT)
		return "unknown";
	return s_names[id].name;
}

static const char *const s_sev[] = {"info", "warning", "error", "fatal"};

const char *vt_severity_name(enum vt_severity s)
{
	if ((int)s < 0 || (size_t)s >= sizeof(s_sev) / sizeof(s_sev[0]))
		return "unknown";
	return s_sev[s];
}

int vt_severity_parse(const char *s)
{
	for (size_t i = 0; s != NULL && i < sizeof(s_sev) / sizeof(s_sev[0]); i++)
		if (strcmp(s, s_sev[i]) == 0)
			return (int)i;
	return -1;
}

void finding_add_evidence(struct vt_finding *f, const char *fmt, ...)
{
	char buf[FINDING_EVIDENCE_LEN];
	va_list ap;

	if (f->n_evidence >= FINDING_MAX_EVIDENCE)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (buf[0] == '\0')
		return;
	for (size_t i = 0; i < f->n_evidence; i++)
		if (strcmp(f->evidence[i], buf) == 0)
			return;
	memcpy(f->evidence[f->n_evidence++], buf, sizeof(buf));
}

void finding_add_vantage(struct vt_finding *f, const char *agent)
{
	if (agent == NULL || agent[0] == '\0' || f->n_vantages >= FINDING_MAX_VANTAGES ||
	    finding_names_vantage(f, agent))
		return;
	snprintf(f->vantages[f->n_vantages++], sizeof(f->vantages[0]), "%s", agent);
}

void finding_add_address(struct vt_finding *f, const char *addr)
{
	if (addr == NULL || addr[0] == '\0' || f->n_addresses >= FINDING_MAX_ADDRS ||
	    finding_has_address(f, addr))
		return;
	snprintf(f->addresses[f->n_addresses++], sizeof(f->addresses[0]), "%s", addr);
}

bool finding_names_vantage(const struct vt_finding *f, const char *agent)
{
	for (size_t i = 0; i < f->n_vantages && i < FINDING_MAX_VANTAGES; i++)
		if (strcmp(f->vantages[i], agent) == 0)
			return true;
	return false;
}

bool finding_has_address(const struct vt_finding *f, const char *addr)
{
	for (size_t i = 0; i < f->n_addresses && i < FINDING_MAX_ADDRS; i++)
		if (strcmp(f->addresses[i], addr) == 0)
			return true;
	return false;
}

bool finding_has_evidence(const struct vt_finding *f, const char *needle)
{
	for (size_t i = 0; i < f->n_evidence && i < FINDING_MAX_EVIDENCE; i++)
		if (strstr(f->evidence[i], needle) != NULL)
			return true;
	return false;
}

struct finding_snippet finding_snippet(const struct vt_finding_text *t, size_t i)
{
	struct finding_snippet s = {"", "", NULL};

	switch (i) {
	case 0:
		s = (struct finding_snippet){"nginx", "nginx", t != NULL ? t->nginx : NULL};
		break;
	case 1:
		s = (struct finding_snippet){"apache", "Apache", t != NULL ? t->apache : NULL};
		break;
	case 2:
		s = (struct finding_snippet){"caddy", "Caddy", t != NULL ? t->caddy : NULL};
		break;
	case 3:
		s = (struct finding_snippet){"cloudflare", "Cloudflare",
		                             t != NULL ? t->cloudflare : NULL};
		break;
	default:
		break;
	}
	return s;
}
