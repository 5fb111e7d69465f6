/*
 * enroll.h -- enrolment tickets: how a new agent gets into the allowlist
 * without anyone copying keys by hand (docs/deploy.md, "Enrolment").
 *
 *   1. The operator runs `vantage enroll NAME --region R --rir X`: the
 *      coordinator makes a ticket (NAME, region, RIR, primary, expiry, the
 *      SHA-256 of a random one-time token) and the CLI prints a one-line
 *      command / cloud-init snippet holding the coordinator's endpoint, its
 *      public key (pinned) and the token.
 *   2. The agent makes its own key pair, dials the coordinator and sends
 *      HELLO with enroll_name NAME and enroll_token TOKEN.  ZAP lets an
 *      unknown key in (User-Id "?enroll KEY") only while some ticket is open
 *      and only ENROLL_ZAP_PER_MINUTE times a minute; such a connection can do
 *      nothing but that HELLO.  A matching claim records the key and the
 *      peer address on the ticket; the agent is told (BYE) to wait.
 *   3. `vantage agents approve NAME` writes ALLOWLIST/NAME.pub (and
 *      NAME.conf with region/RIR/primary unless NAME is in the main
 *      `agents` list), removes the ticket, and the coordinator reloads.  The
 *      agent's next dial is an ordinary allowlisted connection.
 *
 * Tickets live in memory and, one JSON file each, in DIR (state_dir/enroll,
 * mode 0700) so a restart keeps them.  Everything here is synchronous and
 * single-threaded (the coordinator's loop).  Times are Unix seconds.
 */
#ifndef VANTAGE_COORD_ENROLL_H
#define VANTAGE_COORD_ENROLL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "../common/keys.h"
#include "../common/limits.h"

#define ENROLL_MAX_TICKETS     32     /* open tickets at once */
#define ENROLL_TOKEN_HEX       32     /* characters of a token: 128 random bits */
#define ENROLL_DEFAULT_TTL_S   86400  /* a ticket is good for a day ... */
#define ENROLL_MAX_TTL_S       604800 /* ... at most a week */
#define ENROLL_ZAP_PER_MINUTE  60     /* unknown keys ZAP lets in per minute, all tickets */
#define ENROLL_FILE_MAX        4096   /* bytes of one ticket file */
#define ENROLL_SUFFIX          ".ticket"
#define ENROLL_USER_PREFIX     "?enroll " /* ZAP User-Id of an enrolling connection */
#define ENROLL_ZAP_WINDOW_S    60         /* the window ENROLL_ZAP_PER_MINUTE counts in */
#define ENROLL_MAX_DIR_ENTRIES (4 * ENROLL_MAX_TICKETS) /* entries of DIR looked at when opening */

struct enroll_ticket {
	char name[LIMIT_AGENT_NAME_LEN + 1];
	char region[LIMIT_REGION_LEN + 1]; /* "" when NAME is in the main agents list */
	char rir[LIMIT_REGION_LEN + 1];
	bool primary;
	char token_sha256[65]; /* hex of SHA-256(token); the token itself is never stored */
	int64_t created, expires;
	char key_z85[KEY_Z85_LEN + 1]; /* "" until an agent claimed the ticket */
	char address[64];              /* the claiming peer's address, escaped */
	int64_t claimed;               /* 0 until claimed */
};

struct enroll;

/* Open the ticket store in dir (created 0700 if missing), loading every
 * DIR/NAME.ticket (at most ENROLL_MAX_TICKETS; unreadable or malformed
 * files are logged and skipped; expired ones are deleted).  NULL with a
 * reason in err.  Free with enroll_close, which nulls *ep. */
struct enroll *enroll_open(const char *dir, int64_t now, char *err, size_t errlen);
void enroll_close(struct enroll **ep);

/*
 * Make (or replace) the ticket for name, good for ttl_s seconds (0 =
 * ENROLL_DEFAULT_TTL_S; more than ENROLL_MAX_TTL_S is refused), persist it,
 * and give the token (ENROLL_TOKEN_HEX random hex characters) in token.
 * region and rir may be "" only when the caller checked that name is in the
 * main agents list.  0, or -1 with a reason in err (bad name, too many
 * tickets, cannot write).
 */
int enroll_create(struct enroll *e, const char *name, const char *region, const char *rir,
                  bool primary, uint32_t ttl_s, int64_t now, char token[LIMIT_ENROLL_TOKEN_LEN + 1],
                  char *err, size_t errlen);

/* For ZAP, given a key that is not in the allowlist: may it in to enrol?
 * True only while an unexpired ticket is unclaimed or claimed by this very
 * key, and fewer than ENROLL_ZAP_PER_MINUTE unknown keys got in during the
 * last minute (this call counts a yes).  e may be NULL (always false). */
bool enroll_zap_allows(struct enroll *e, const char *key_z85, int64_t now);

/*
 * HELLO on an enrolling connection.  Accepts when a ticket for name exists,
 * is unexpired, SHA-256(token) matches (constant time) and the ticket is
 * unclaimed or claimed by key_z85 already; then records key, address and
 * time on it and persists it.  0 accepted; -1 refused with the reason for the
 * log in err (never the token).
 */
int enroll_claim(struct enroll *e, const char *name, const char *token, const char *key_z85,
                 const char *address, int64_t now, char *err, size_t errlen);

/* The ticket for name (expired ones included until enroll_expire), or NULL. */
const struct enroll_ticket *enroll_find(const struct enroll *e, const char *name);

/* Delete tickets whose expiry passed (memory and files).  Returns how many. */
size_t enroll_expire(struct enroll *e, int64_t now);

/*
 * Approve name: the ticket must be claimed.  Writes allowlist_dir/NAME.pub
 * (the claimed key, 0644, via a temporary file and rename) and, unless
 * in_main_config, allowlist_dir/NAME.conf (libconfig: region, rir, primary);
 * then removes the ticket.  0, or -1 with a reason in err ("no enrolment
 * for NAME", "NAME has not dialled in yet", a file error).
 */
int enroll_approve(struct enroll *e, const char *name, const char *allowlist_dir,
                   bool in_main_config, char *err, size_t errlen);

/* Remove name's ticket, claimed or not.  0 if there was one, -1 if not. */
int enroll_cancel(struct enroll *e, const char *name);

/*
 * Revoke name's allowlist entry: rename allowlist_dir/NAME.pub to
 * NAME.pub.revoked and NAME.conf (if any) to NAME.conf.revoked, replacing
 * older .revoked files.  1 if a .pub was there, 0 if not, -1 with a reason
 * in err on a file error.
 */
int enroll_revoke_files(const char *allowlist_dir, const char *name, char *err, size_t errlen);

/* The tickets as a JSON array (caller owns) of {"name","region","rir",
 * "primary","expires" (RFC 3339 UTC),"state" ("waiting" | "claimed"),
 * "key","address","claimed" (RFC 3339, or null)}; NULL on ENOMEM. */
json_t *enroll_json(const struct enroll *e, int64_t now);

/* Number of tickets. */
size_t enroll_count(const struct enroll *e);

#endif
