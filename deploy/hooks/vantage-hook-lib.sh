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
#   VANTAGE_HOOK_LOG   a file every hook appends its lines (and, through
#                      vh_run_logged, vantage wait's report) to, with a time
#                      stamp: what survives when the ACME client is stopped
#                      or hides hook output
#   VANTAGE_ON_UNKNOWN stop (default) or continue: what vh_wait_failed makes
#                      of a wait that could not decide (exit 2: usage or
#                      coordinator error; 3: a vantage did not answer)

# vh__logfile TEXT...: append one time-stamped line to VANTAGE_HOOK_LOG (if set)
vh__logfile() {
	[ -n "${VANTAGE_HOOK_LOG:-}" ] && [ -z "${vh__captured:-}" ] || return 0
	printf '%s %s[%s]: %s\n' "$(date '+%Y-%m-%dT%H:%M:%S%z')" "${VH_NAME:-vantage-hook}" "$$" "$*" \
		>>"$VANTAGE_HOOK_LOG" 2>/dev/null || true
}

# vh_log MESSAGE...: one line on stderr, tagged with the hook's name (and in
# VANTAGE_HOOK_LOG)
vh_log() {
	vh__logfile "$*"
	[ "${VANTAGE_HOOK_QUIET:-0}" = 1 ] || printf '%s: %s\n' "${VH_NAME:-vantage-hook}" "$*" >&2
}

# vh_warn MESSAGE... / vh_error MESSAGE...: a "warning: " or "error: " line
# on stderr (even with VANTAGE_HOOK_QUIET=1) and in VANTAGE_HOOK_LOG
vh_warn() {
	vh__logfile "warning: $*"
	printf '%s: warning: %s\n' "${VH_NAME:-vantage-hook}" "$*" >&2
}
vh_error() {
	vh__logfile "error: $*"
	printf '%s: error: %s\n' "${VH_NAME:-vantage-hook}" "$*" >&2
}

# vh_die MESSAGE...: log it and exit 1
vh_die() {
	vh_error "$@"
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

# vh_run_logged CMD ARGS...: run CMD (a command or one of these functions)
# with its stdout and stderr captured into VH_OUTPUT, then copy that text to
# stderr (on success not with VANTAGE_HOOK_QUIET=1) and to VANTAGE_HOOK_LOG,
# followed there by "exit N: CMD ARGS".  Returns CMD's exit status.  For
# hooks whose caller may not live to print their output (certbot, once
# stopped), e.g. `vh_run_logged vh_wait DOMAIN http-01 --key-authorization KA`.
vh_run_logged() {
	VH_OUTPUT=$(
		vh__captured=1 # the copy below goes to the log
		"$@" 2>&1
	)
	vh_rc=$?
	if [ -n "$VH_OUTPUT" ]; then
		# VANTAGE_HOOK_QUIET=1 keeps a success quiet, never a failure
		if [ "$vh_rc" -ne 0 ] || [ "${VANTAGE_HOOK_QUIET:-0}" != 1 ]; then
			printf '%s\n' "$VH_OUTPUT" >&2
		fi
		if [ -n "${VANTAGE_HOOK_LOG:-}" ]; then
			printf '%s\n' "$VH_OUTPUT" | sed 's/^/    /' >>"$VANTAGE_HOOK_LOG" 2>/dev/null || true
		fi
	fi
	vh__logfile "exit $vh_rc: $*"
	return "$vh_rc"
}

# vh_wait_failed RC [WHAT]: does the exit status RC of WHAT (default
# "vantage wait"; the wrappers pass "vantage check") stop issuance?
# 0 (yes: 1 a vantage fails; 2 or 3, it could not decide, unless
# VANTAGE_ON_UNKNOWN=continue) or 1 (no: RC 0, or undecided and continue).
vh_wait_failed() {
	case $1 in
	0) return 1 ;;
	1) return 0 ;;
	esac
	if [ "${VANTAGE_ON_UNKNOWN:-stop}" = continue ]; then
		vh_warn "${2:-vantage wait} could not decide (exit $1); VANTAGE_ON_UNKNOWN=continue: going on"
		return 1
	fi
	return 0
}

# vh_csr_names FILE: the DNS names of a PEM or DER CSR (SANs, else the CN),
# one a line (the wrappers of clients that take a CSR)
vh_csr_names() {
	vh_txt=$(openssl req -in "$1" -noout -text 2>/dev/null ||
		openssl req -inform DER -in "$1" -noout -text 2>/dev/null) || return 1
	vh_sans=$(printf '%s\n' "$vh_txt" | sed -n '/X509v3 Subject Alternative Name/{n;p;}' |
		tr ',' '\n' | sed -n 's/^ *DNS://p')
	if [ -n "$vh_sans" ]; then
		printf '%s\n' "$vh_sans"
	else
		printf '%s\n' "$vh_txt" | sed -n 's/^ *Subject:.*CN *= *\([^,/]*\).*/\1/p'
	fi
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
