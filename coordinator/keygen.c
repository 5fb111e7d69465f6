/*
 * keygen.c -- `vantage keygen` (see keygen.h); the work is in common/keys.c.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "keygen.h"
#include "../common/keys.h"
#include "../common/limits.h"

static void s_usage(void)
{
	fprintf(stderr, "usage: vantage keygen NAME [--dir DIR]\n"
	                "  writes DIR/NAME.key (secret, mode 0600) and DIR/NAME.pub\n");
}

int keygen_main(int argc, char **argv)
{
	const char *name = NULL, *dir = ".";
	char err[512], path[PATH_MAX], pub[KEY_Z85_LEN + 1];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
			dir = argv[++i];
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			s_usage();
			return 0;
		} else if (argv[i][0] != '-' && name == NULL) {
			name = argv[i];
		} else {
			fprintf(stderr, "vantage keygen: unexpected argument \"%s\"\n", argv[i]);
			s_usage();
			return 2;
		}
	}
	if (name == NULL) {
		s_usage();
		return 2;
	}
	if (!keys_valid_name(name)) {
		fprintf(stderr,
		        "vantage keygen: invalid name (want [A-Za-z0-9._-], 1..%d characters, not "
		        "starting with '.')\n",
		        LIMIT_AGENT_NAME_LEN);
		return 2;
	}
	if (keys_generate(dir, name, err, sizeof(err)) != 0) {
		fprintf(stderr, "vantage keygen: %s\n", err);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/%s.pub", dir, name);
	if (keys_read_public(path, pub, err, sizeof(err)) != 0) {
		fprintf(stderr, "vantage keygen: %s\n", err);
		return 1;
	}
	printf("secret key: %s/%s.key\n", dir, name);
	printf("public key: %s\n", path);
	printf("%s\n", pub);
	return 0;
}
