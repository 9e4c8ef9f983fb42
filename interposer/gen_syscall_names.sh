#!/bin/sh
# Turns the kernel's asm/unistd_64.h into a table of system call names.
set -e
echo '/* Generated from' "$1" 'by gen_syscall_names.sh; do not edit. */'
echo '#include <switchyard/hook.h>'
echo 'static const char *const sy_names[SY_NR_LIMIT] = {'
sed -n 's/^#define __NR_\([a-z0-9_]*\)[ \t]\{1,\}\([0-9]\{1,\}\).*/\2 \1/p' "$1" |
	awk '$1 < 512 { printf "\t[%d] = \"%s\",\n", $1, $2 }'
echo '};'
echo 'const char *sy_syscall_name(long nr)'
echo '{'
echo '	return nr >= 0 && nr < SY_NR_LIMIT ? sy_names[nr] : 0;'
echo '}'
