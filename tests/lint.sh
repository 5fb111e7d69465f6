#!/bin/sh
# make lint: format check, static analysis, banned calls.  Fails on any finding.
set -u
cd "$(dirname "$0")/.." || exit 2
rc=0
files=$(git ls-files '*.c' '*.h' 2>/dev/null; git ls-files --others --exclude-standard '*.c' '*.h' 2>/dev/null)
files=$(echo "$files" | sort -u | grep -v '^$')

echo "lint: clang-format"
# shellcheck disable=SC2086  # $files is a list of paths without spaces
if ! clang-format --dry-run --Werror $files; then
	echo "lint: formatting differs (run 'make format')" >&2
	rc=1
fi

echo "lint: banned calls"
# sprintf/strcpy/strcat/gets: unbounded; atoi/atol: no error reporting;
# a bare realloc assignment to the same pointer loses the block on failure.
# shellcheck disable=SC2086
if grep -nE '\b(sprintf|vsprintf|strcpy|strcat|gets|atoi|atol|atoll|strtok)\s*\(' $files; then
	echo "lint: banned call found (use snprintf, strtol, explicit lengths)" >&2
	rc=1
fi
# shellcheck disable=SC2086
if grep -nE '\b([a-zA-Z_][a-zA-Z0-9_>.-]*)\s*=\s*realloc\s*\(\s*\1\s*,' $files; then
	echo "lint: 'p = realloc(p, ...)' loses p on failure" >&2
	rc=1
fi

echo "lint: cppcheck"
if ! cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	--std=c11 --inline-suppr --suppress=missingIncludeSystem -I. \
	common proto agent coordinator; then
	rc=1
fi
echo "lint: shellcheck"
# every shell script: *.sh, and the ACME client hooks users install
# (deploy/hooks/vantage-*, POSIX sh, no extension)
scripts=$( (git ls-files '*.sh' 'deploy/hooks/*'; git ls-files --others --exclude-standard '*.sh' 'deploy/hooks/*') 2>/dev/null | sort -u | grep -v '\.md$')
# shellcheck disable=SC2086
if [ -n "$scripts" ] && ! shellcheck -x $scripts; then
	echo "lint: shellcheck found problems" >&2
	rc=1
fi
[ $rc -eq 0 ] && echo "lint: clean"
exit $rc
