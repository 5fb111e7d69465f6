# shellcheck shell=sh
# deploy/hooks/vantage-hook-lib.sh -- shared by the ACME client hooks in this
# directory (sourced, POSIX sh).  The hooks' contracts are in docs/hooks.md.
#
# Environment every hook honours:
#   VANTAGE            the vantage command (default "vantage"; split on
#                      spaces, so "ip netns exec NS /usr/bin/vantage" works)
#   VANTAGE_WAIT_ARGS  extra options for `vantage wait` (split on spaces),
#                      e.g. "--timeout 600 --policy letsencrypt --coordinator URL"
#   VANTAGE_DNS_HOOK   DNS-01: the user's command that publishes or removes a
#                      TXT record: `$VANTAGE_DNS_HOOK add|del NAME VALUE`, NAME
#                      the full record name without the trailing dot
#                      (_acme-challenge.example.com); must exit 0 on success
#   VANTAGE_WEBROOT    HTTP-01: the document root the challenge file goes in
#                      (DIR/.well-known/acme-challenge/TOKEN)
#   VANTAGE_HOOK_QUIET 1: no progress lines on stderr

# vh_log MESSAGE...: one line on stderr, tagged with the hook's name
vh_log() {
	[ "${VANTAGE_HOOK_QUIET:-0}" = 1 ] || printf '%s: %s\n' "${VH_NAME:-vantage-hook}" "$*" >&2
}

# vh_die MESSAGE...: log it and exit 1
vh_die() {
	printf '%s: error: %s\n' "${VH_NAME:-vantage-hook}" "$*" >&2
	exit 1
}

# vh_vantage ARGS...: run the vantage command
vh_vantage() {
	# shellcheck disable=SC2086  # VANTAGE is a command line on purpose
	${VANTAGE:-vantage} "$@"
}

# vh_wait DOMAIN METHOD [OPTION VALUE]: `vantage wait` for DOMAIN by METHOD
# with the challenge option (--key-authorization KA, --txt V, --digest D),
# plus VANTAGE_WAIT_ARGS.  Returns vantage wait's exit status.
vh_wait() {
	vh_d=$1 vh_m=$2
	shift 2
	vh_log "waiting until every vantage sees the $vh_m challenge for $vh_d"
	# shellcheck disable=SC2086  # VANTAGE_WAIT_ARGS is a list of options
	vh_vantage wait "$vh_d" --method "$vh_m" "$@" ${VANTAGE_WAIT_ARGS:-}
}

# vh_dns add|del NAME VALUE: the user's DNS command
vh_dns() {
	[ -n "${VANTAGE_DNS_HOOK:-}" ] || vh_die "DNS-01 needs VANTAGE_DNS_HOOK, the command that publishes a TXT record (see docs/hooks.md)"
	vh_log "VANTAGE_DNS_HOOK $1 $2"
	# shellcheck disable=SC2086  # a command line on purpose
	$VANTAGE_DNS_HOOK "$1" "$2" "$3" || vh_die "VANTAGE_DNS_HOOK $1 $2 failed (exit $?)"
}

# vh_webroot_put TOKEN CONTENT: write the challenge file under VANTAGE_WEBROOT
# (world-readable: the web server's workers must read it)
vh_webroot_put() {
	[ -n "${VANTAGE_WEBROOT:-}" ] || vh_die "HTTP-01 needs VANTAGE_WEBROOT, the site's document root (see docs/hooks.md)"
	case $1 in
	*/* | .* | '') vh_die "refusing challenge token '$1'" ;;
	esac
	vh_dir=$VANTAGE_WEBROOT/.well-known/acme-challenge
	mkdir -p "$vh_dir" || vh_die "cannot create $vh_dir"
	chmod a+rx "$VANTAGE_WEBROOT/.well-known" "$vh_dir" 2>/dev/null || true
	(umask 022 && printf '%s' "$2" >"$vh_dir/$1") || vh_die "cannot write $vh_dir/$1"
}

# vh_webroot_rm TOKEN: remove the challenge file again
vh_webroot_rm() {
	[ -n "${VANTAGE_WEBROOT:-}" ] || return 0
	case $1 in
	*/* | .* | '') return 0 ;;
	esac
	rm -f "$VANTAGE_WEBROOT/.well-known/acme-challenge/$1"
}
