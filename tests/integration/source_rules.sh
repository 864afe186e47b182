#!/bin/bash
# Source checker (STYLE.md): no unbounded or unchecked libc string and number
# functions anywhere in our C code.
set -u
cd "$MIDPKI_SOURCE_DIR" || exit 1
banned='\b(sprintf|vsprintf|strcpy|strcat|strncpy|strtok|atoi|atol|atoll|sscanf|gets|strtol|strtoul|strtoll|strtoull)[[:space:]]*\('
hits=$(git ls-files '*.c' '*.h' 2>/dev/null | xargs grep -nE "$banned" | grep -v '^tests/fuzz/' || true)
if [ -n "$hits" ]; then
	echo "FAIL: functions STYLE.md rules out:" >&2
	echo "$hits" >&2
	exit 1
fi
echo "ok: no banned functions in $(git ls-files '*.c' '*.h' | wc -l) files"
