/*
 * enroll_cmd.c -- `vantage-agent enroll` (see enroll_cmd.h).
 *
 * Order: every argument is checked before anything is written, so a typo
 * leaves the host untouched.  Then the key pair is made with the same
 * function the first start uses (unless it exists), the key files are
 * handed to the service's user, the configuration is written (temporary
 * file + link/rename, so a reader never sees half a file) and loaded back
 * with agent_config_load: what enroll prints is what the daemon will read.
 *
 * Every value goes into a libconfig string.  Z85 keys never contain '"' or
 * '\\', tokens and names are alphanumeric, but every value is still checked
 * for quotes, backslashes and control characters, so no argument can
 * change the file's structure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/fileio.h"
#include "../common/keys.h"
#include "../common/limits.h"
#include "config.h"
#include "enroll_cmd.h"

#define S_EXIT_OK      0
#define S_EXIT_RUNTIME 1
#define S_EXIT_USAGE   2
#define S_PROG         "vantage-agent enroll"
#define S_USER_LEN     64 /* user names accepted for --user (getpwnam) */
#define S_PORT_MAX     65535

struct s_args {
	const char *coordinator;
	const char *keys[AGENT_MAX_SERVER_KEYS];
	size_t n_keys;
	const char *name;
	const char *token;
	const char *config;
	const char *key_file;
	const char *user;
	const char *resolver;
	bool force;
};

static void s_usage(FILE *f)
{
	fprintf(f,
	        "usage: vantage-agent enroll --coordinator tcp://HOST:PORT --coordinator-key KEY\n"
	        "           [--coordinator-key KEY2 ...] --name NAME --token TOKEN\n"
	        "           [--config PATH] [--key-file PATH] [--user USER] [--resolver ADDR]\n"
	        "           [--force]\n"
	        "\n"
	        "Sets this host up as a vantage agent: writes the configuration, makes the\n"
	        "agent's key pair if it has none and checks that the result loads.  Then start\n"
	        "the agent and approve it on the coordinator (vantage agents approve NAME).\n"
	        "`vantage enroll NAME` on the coordinator prints this command line.\n"
	        "\n"
	        "  --coordinator tcp://HOST:PORT  the coordinator's agent endpoint\n"
	        "  --coordinator-key KEY          its public key, 40 Z85 characters; up to %d,\n"
	        "                                 tried in order (key rotation)\n"
	        "  --name NAME                    this agent's name ([A-Za-z0-9._-], 1..%d)\n"
	        "  --token TOKEN                  the one-time enrolment token\n"
	        "  --config PATH                  file to write (default %s)\n"
	        "  --key-file PATH                secret key file, absolute (default %s)\n"
	        "  --user USER                    owner of the key files when run as root\n"
	        "                                 (default %s)\n"
	        "  --resolver ADDR[@PORT]         forward DNS to ADDR instead of resolving\n"
	        "  --force                        replace an existing configuration file\n"
	        "  --help                         this text\n"
	        "\n"
	        "Exit status: 0 done, 1 runtime error, 2 usage error.\n",
	        AGENT_MAX_SERVER_KEYS, LIMIT_AGENT_NAME_LEN, AGENT_DEFAULT_CONFIG,
	        AGENT_DEFAULT_KEY_FILE, AGENT_DEFAULT_USER);
}

/* Could s go between the quotes of a libconfig string unchanged?  No quote,
 * no backslash, no control character; at most max bytes. */
static bool s_plain(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			return false;
	}
	return true;
}

/* A decimal port 1..65535 that runs to the end of s. */
static bool s_port_ok(const char *s)
{
	char *end = NULL;
	unsigned long port;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	port = strtoul(s, &end, 10);
	return errno == 0 && *end == '\0' && port >= 1 && port <= S_PORT_MAX;
}

/* "tcp://HOST:PORT": the daemon's own check (agent_config_load) is run on
 * the written file at the end; this one catches typos before any write. */
static bool s_endpoint_ok(const char *ep)
{
	const char *host, *colon;

	if (!s_plain(ep, AGENT_ENDPOINT_LEN - 1) || strncmp(ep, "tcp://", strlen("tcp://")) != 0 ||
	    strchr(ep, ' ') != NULL)
		return false;
	host = ep + strlen("tcp://");
	colon = strrchr(host, ':');
	return colon != NULL && colon != host && s_port_ok(colon + 1);
}

/* "ADDR" or "ADDR@PORT", ADDR a numeric IPv4 or IPv6 address. */
static bool s_resolver_ok(const char *r)
{
	char addr[LIMIT_ADDR_LEN + 1];
	unsigned char buf[sizeof(struct in6_addr)];
	const char *at = strchr(r, '@');
	size_t n = at != NULL ? (size_t)(at - r) : strlen(r);

	if (n == 0 || n >= sizeof(addr))
		return false;
	memcpy(addr, r, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET, addr, buf) != 1 && inet_pton(AF_INET6, addr, buf) != 1)
		return false;
	return at == NULL || s_port_ok(at + 1);
}

/* Check every argument; 0, or -1 after a message on stderr. */
static int s_validate(const struct s_args *a)
{
	if (a->coordinator == NULL || a->n_keys == 0 || a->name == NULL || a->token == NULL) {
		fprintf(stderr,
		        "%s: --coordinator, --coordinator-key, --name and --token are "
		        "required\n",
		        S_PROG);
		return -1;
	}
	if (!s_endpoint_ok(a->coordinator)) {
		fprintf(stderr, "%s: --coordinator must be tcp://HOST:PORT (port 1..%d)\n", S_PROG,
		        S_PORT_MAX);
		return -1;
	}
	for (size_t i = 0; i < a->n_keys; i++) {
		if (!s_plain(a->keys[i], KEY_Z85_LEN) || !keys_valid_z85(a->keys[i])) {
			fprintf(stderr,
			        "%s: --coordinator-key #%zu is not a %d-character Z85 key (the "
			        "coordinator's public key, as `vantage enroll` prints it)\n",
			        S_PROG, i + 1, KEY_Z85_LEN);
			return -1;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(a->keys[i], a->keys[j]) == 0) {
				fprintf(stderr, "%s: --coordinator-key #%zu repeats #%zu\n", S_PROG,
				        i + 1, j + 1);
				return -1;
			}
		}
	}
	if (!keys_valid_name(a->name)) {
		fprintf(stderr,
		        "%s: --name must be 1..%d characters of [A-Za-z0-9._-], not starting "
		        "with '.'\n",
		        S_PROG, LIMIT_AGENT_NAME_LEN);
		return -1;
	}
	if (!keys_valid_enroll_token(a->token)) {
		fprintf(stderr, "%s: --token must be 1..%d letters and digits\n", S_PROG,
		        LIMIT_ENROLL_TOKEN_LEN);
		return -1;
	}
	if (!s_plain(a->config, PATH_MAX - 1)) {
		fprintf(stderr, "%s: --config: not a usable path\n", S_PROG);
		return -1;
	}
	/* the daemon starts in / under systemd: a relative path would mean
	 * something else there */
	if (!s_plain(a->key_file, AGENT_KEY_PATH_LEN - 1) || a->key_file[0] != '/') {
		fprintf(stderr, "%s: --key-file must be an absolute path (no quotes)\n", S_PROG);
		return -1;
	}
	if (!s_plain(a->user, S_USER_LEN)) {
		fprintf(stderr, "%s: --user: not a user name\n", S_PROG);
		return -1;
	}
	if (a->resolver != NULL &&
	    (!s_plain(a->resolver, LIMIT_ADDR_LEN + 8) || !s_resolver_ok(a->resolver))) {
		fprintf(stderr, "%s: --resolver must be ADDR or ADDR@PORT (numeric address)\n",
		        S_PROG);
		return -1;
	}
	return 0;
}

/* Parse argv into *a.  0 go on, 1 --help was printed, -1 usage error. */
static int s_parse(int argc, char **argv, struct s_args *a)
{
	enum {
		O_COORD = 1,
		O_KEY,
		O_NAME,
		O_TOKEN,
		O_CONFIG,
		O_KEYFILE,
		O_USER,
		O_RESOLVER,
		O_FORCE,
		O_HELP
	};
	static const struct option opts[] = {
	        {"coordinator", required_argument, NULL, O_COORD},
	        {"coordinator-key", required_argument, NULL, O_KEY},
	        {"name", required_argument, NULL, O_NAME},
	        {"token", required_argument, NULL, O_TOKEN},
	        {"config", required_argument, NULL, O_CONFIG},
	        {"key-file", required_argument, NULL, O_KEYFILE},
	        {"user", required_argument, NULL, O_USER},
	        {"resolver", required_argument, NULL, O_RESOLVER},
	        {"force", no_argument, NULL, O_FORCE},
	        {"help", no_argument, NULL, O_HELP},
	        {NULL, 0, NULL, 0},
	};
	int c;

	memset(a, 0, sizeof(*a));
	a->config = AGENT_DEFAULT_CONFIG;
	a->key_file = AGENT_DEFAULT_KEY_FILE;
	a->user = AGENT_DEFAULT_USER;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_COORD:
			a->coordinator = optarg;
			break;
		case O_KEY:
			if (a->n_keys >= AGENT_MAX_SERVER_KEYS) {
				fprintf(stderr, "%s: at most %d --coordinator-key\n", S_PROG,
				        AGENT_MAX_SERVER_KEYS);
				return -1;
			}
			a->keys[a->n_keys++] = optarg;
			break;
		case O_NAME:
			a->name = optarg;
			break;
		case O_TOKEN:
			a->token = optarg;
			break;
		case O_CONFIG:
			a->config = optarg;
			break;
		case O_KEYFILE:
			a->key_file = optarg;
			break;
		case O_USER:
			a->user = optarg;
			break;
		case O_RESOLVER:
			a->resolver = optarg;
			break;
		case O_FORCE:
			a->force = true;
			break;
		case O_HELP:
			s_usage(stdout);
			return 1;
		default:
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\"\n", S_PROG, argv[optind]);
		return -1;
	}
	return 0;
}

/* The configuration text for a into buf.  0, or -1 if it does not fit. */
static int s_render(const struct s_args *a, char *buf, size_t len)
{
	size_t o = 0;
	int n;

#define S_PUT(...)                                                                                 \
	do {                                                                                       \
		n = snprintf(buf + o, len - o, __VA_ARGS__);                                       \
		if (n < 0 || (size_t)n >= len - o)                                                 \
			return -1;                                                                 \
		o += (size_t)n;                                                                    \
	} while (0)

	S_PUT("# vantage agent configuration (libconfig syntax; see vantage-agent(8)),\n"
	      "# written by `vantage-agent enroll`.\n"
	      "#\n"
	      "# name and enroll_token ask the coordinator to enrol this agent; once an\n"
	      "# operator has approved it (vantage agents approve %s) they are ignored\n"
	      "# and may be removed.\n"
	      "agent:\n"
	      "{\n"
	      "  coordinator = \"%s\";\n",
	      a->name, a->coordinator);
	if (a->n_keys == 1) {
		S_PUT("  coordinator_public_key = \"%s\";\n", a->keys[0]);
	} else {
		S_PUT("  # tried in order; a session that gets no answer moves on to the next\n"
		      "  coordinator_public_key = [ ");
		for (size_t i = 0; i < a->n_keys; i++)
			S_PUT("%s\"%s\"", i > 0 ? ", " : "", a->keys[i]);
		S_PUT(" ];\n");
	}
	S_PUT("  # made on first start (or by enroll) when missing; KEY.pub next to it\n"
	      "  key_file = \"%s\";\n"
	      "  name = \"%s\";\n"
	      "  enroll_token = \"%s\";\n",
	      a->key_file, a->name, a->token);
	if (a->resolver != NULL)
		S_PUT("  resolver = \"%s\";\n", a->resolver);
	S_PUT("};\n");
#undef S_PUT
	return 0;
}

/* Write text to path: a temporary file in the same directory, mode 0644,
 * synced, then renamed over path (replacing it only with force).  0 or -1
 * after a message on stderr. */
static int s_write_config(const char *path, const char *text, bool force)
{
	char tmp[PATH_MAX], err[PATH_MAX + 128];
	int fd, rc = -1;
	bool made = false;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >= sizeof(tmp)) {
		fprintf(stderr, "%s: %s: path too long\n", S_PROG, path);
		goto out;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		fprintf(stderr, "%s: cannot create a file next to %s: %s\n", S_PROG, path,
		        strerror(errno));
		goto out;
	}
	made = true;
	/* public: it holds no secret (the token is single-use and the key
	 * file is separate), and tools read it as any user */
	if (fileio_fill(fd, tmp, text, 0644, true, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", S_PROG, err);
		goto out;
	}
	if (!force) {
		/* link() never replaces: the check and the write are one step */
		if (link(tmp, path) != 0) {
			if (errno == EEXIST)
				fprintf(stderr,
				        "%s: %s already exists; not overwriting it (--force "
				        "replaces "
				        "it)\n",
				        S_PROG, path);
			else
				fprintf(stderr, "%s: cannot create %s: %s\n", S_PROG, path,
				        strerror(errno));
			goto out;
		}
	} else if (rename(tmp, path) != 0) {
		fprintf(stderr, "%s: cannot replace %s: %s\n", S_PROG, path, strerror(errno));
		goto out;
	} else {
		made = false; /* renamed: nothing left to remove */
	}
	rc = 0;
out:
	if (made && unlink(tmp) != 0 && errno != ENOENT)
		fprintf(stderr, "%s: cannot remove %s: %s\n", S_PROG, tmp, strerror(errno));
	return rc;
}

/* lchown path to uid:gid; a message on stderr and -1 on failure.  lchown:
 * root must not be steered through a symlink into chowning something else. */
static int s_chown(const char *path, uid_t uid, gid_t gid)
{
	if (lchown(path, uid, gid) != 0) {
		fprintf(stderr, "%s: cannot chown %s: %s\n", S_PROG, path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Run as root: give the key files (and the key directory when enroll made
 * it, or it is the default one) to the service's user, who must read them.
 * Another existing directory (/etc/vantage, say) is left alone: handing it
 * over would let the agent rewrite its own configuration.  0 or -1. */
static int s_hand_over(const struct s_args *a, const char *pubpath, const char *keydir,
                       bool dir_made)
{
	char defdir[sizeof(AGENT_DEFAULT_KEY_FILE)];
	const struct passwd *pw;
	char *slash;

	if (geteuid() != 0)
		return 0;
	pw = getpwnam(a->user);
	if (pw == NULL) {
		fprintf(stderr,
		        "%s: warning: user %s does not exist; the key files stay owned by root "
		        "(chown them to the user the agent runs as)\n",
		        S_PROG, a->user);
		return 0;
	}
	memcpy(defdir, AGENT_DEFAULT_KEY_FILE, sizeof(defdir));
	slash = strrchr(defdir, '/');
	if (slash != NULL)
		*slash = '\0';
	if ((dir_made || strcmp(keydir, defdir) == 0) &&
	    s_chown(keydir, pw->pw_uid, pw->pw_gid) != 0)
		return -1;
	if (s_chown(a->key_file, pw->pw_uid, pw->pw_gid) != 0)
		return -1;
	if (access(pubpath, F_OK) == 0 && s_chown(pubpath, pw->pw_uid, pw->pw_gid) != 0)
		return -1;
	return 0;
}

/* The configuration's directory must exist before a key pair is made for
 * it (enroll does not create /etc/vantage: the package does).  0 or -1. */
static int s_config_dir_ok(const char *config)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(config, '/');
	struct stat st;
	size_t n;

	if (slash == NULL)
		return 0; /* the current directory */
	n = slash == config ? 1 : (size_t)(slash - config);
	if (n >= sizeof(dir)) {
		fprintf(stderr, "%s: %s: path too long\n", S_PROG, config);
		return -1;
	}
	memcpy(dir, config, n);
	dir[n] = '\0';
	if (stat(dir, &st) != 0) {
		fprintf(stderr, "%s: directory %s for %s: %s\n", S_PROG, dir, config,
		        strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "%s: %s (for %s) is not a directory\n", S_PROG, dir, config);
		return -1;
	}
	return 0;
}

/* Make the key pair unless key_file exists (*made says which).  0 or -1. */
static int s_key_pair(const struct s_args *a, const char *pubpath, bool *made, bool *dir_made,
                      const char *keydir)
{
	struct stat st;
	char err[512];

	*made = false;
	*dir_made = false;
	if (stat(a->key_file, &st) == 0)
		return 0;
	if (errno != ENOENT) {
		fprintf(stderr, "%s: key file %s: %s\n", S_PROG, a->key_file, strerror(errno));
		return -1;
	}
	*dir_made = stat(keydir, &st) != 0 && errno == ENOENT;
	if (keys_generate_at(a->key_file, pubpath, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: cannot make the key pair: %s\n", S_PROG, err);
		return -1;
	}
	*made = true;
	return 0;
}

int enroll_cmd_main(int argc, char **argv)
{
	struct s_args a;
	struct agent_cfg *cfg = NULL;
	char *text = NULL;
	char pubpath[AGENT_KEY_PATH_LEN + 8], keydir[AGENT_KEY_PATH_LEN], err[1024];
	char *slash;
	bool made = false, dir_made = false;
	int rc = S_EXIT_RUNTIME, pr;

	pr = s_parse(argc, argv, &a);
	if (pr > 0)
		return S_EXIT_OK;
	if (pr < 0 || s_validate(&a) != 0) {
		fprintf(stderr, "(%s --help for usage)\n", S_PROG);
		return S_EXIT_USAGE;
	}
	if (keys_public_path(a.key_file, pubpath, sizeof(pubpath)) != 0) {
		fprintf(stderr, "%s: --key-file: path too long\n", S_PROG);
		return S_EXIT_USAGE;
	}
	/* key_file is absolute (checked), so there is a slash */
	memcpy(keydir, a.key_file, strlen(a.key_file) + 1);
	slash = strrchr(keydir, '/');
	if (slash == keydir)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';

	text = malloc(ENROLL_CONF_MAX);
	cfg = malloc(sizeof(*cfg)); /* large: keep it off the stack */
	if (text == NULL || cfg == NULL) {
		fprintf(stderr, "%s: out of memory\n", S_PROG);
		goto out;
	}
	if (s_render(&a, text, ENROLL_CONF_MAX) != 0) {
		fprintf(stderr, "%s: configuration longer than %d bytes\n", S_PROG,
		        ENROLL_CONF_MAX);
		goto out;
	}
	if (!a.force && access(a.config, F_OK) == 0) {
		fprintf(stderr, "%s: %s already exists; not overwriting it (--force replaces it)\n",
		        S_PROG, a.config);
		goto out;
	}
	if (s_config_dir_ok(a.config) != 0)
		goto out;
	/* the key pair first: if the configuration cannot be written, running
	 * enroll again just finds the pair ("existing") and needs no --force */
	if (s_key_pair(&a, pubpath, &made, &dir_made, keydir) != 0)
		goto out;
	if (s_hand_over(&a, pubpath, keydir, dir_made) != 0)
		goto out;
	if (s_write_config(a.config, text, a.force) != 0)
		goto out;
	if (agent_config_load(a.config, cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: the written configuration does not load: %s\n", S_PROG, err);
		goto out;
	}
	printf("wrote %s\n", a.config);
	printf("key pair: %s (%s)\n", a.key_file, made ? "new" : "existing");
	printf("public key: %s\n", cfg->public_);
	printf("next: systemctl enable --now vantage-agent   (or: vantage-agent --config %s)\n",
	       a.config);
	printf("then, on the coordinator: vantage agents approve %s   (it lists this public key)\n",
	       a.name);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "%s: cannot write to stdout: %s\n", S_PROG, strerror(errno));
		goto out;
	}
	rc = S_EXIT_OK;
out:
	if (cfg != NULL)
		explicit_bzero(cfg, sizeof(*cfg));
	free(cfg);
	free(text);
	return rc;
}
