#!/bin/sh
# Turns the kernel's asm/unistd_64.h into a table of system call names, and
# syscall_args.txt into how many arguments each takes.
set -e
echo '/* Generated from' "$1" 'by gen_syscall_names.sh; do not edit. */'
echo '#include <switchyard/hook.h>'
echo 'static const char *const sy_names[SY_NR_LIMIT] = {'
sed -n 's/^#define __NR_\([a-z0-9_]*\)[ \t]\{1,\}\([0-9]\{1,\}\).*/\2 \1/p' "$1" |
	awk '$1 < 512 { printf "\t[%d] = \"%s\",\n", $1, $2 }'
echo '};'
echo '/* How many arguments each call takes, plus one (0: not known, show six). */'
echo 'static const unsigned char sy_nargs[SY_NR_LIMIT] = {'
sed -n 's/^#define __NR_\([a-z0-9_]*\)[ \t]\{1,\}\([0-9]\{1,\}\).*/\2 \1/p' "$1" |
	awk -v args="$2" 'BEGIN { while ((getline line < args) > 0) if (line !~ /^#/ && split(line, f, " ") == 2) n[f[1]] = f[2] }
	     $1 < 512 && ($2 in n) { printf "\t[%d] = %d,\n", $1, n[$2] + 1 }'
echo '};'
echo 'int sy_syscall_nargs(long nr)'
echo '{'
echo '	return nr >= 0 && nr < SY_NR_LIMIT && sy_nargs[nr] ? sy_nargs[nr] - 1 : 6;'
echo '}'
echo 'const char *sy_syscall_name(long nr)'
echo '{'
echo '	return nr >= 0 && nr < SY_NR_LIMIT ? sy_names[nr] : 0;'
echo '}'
