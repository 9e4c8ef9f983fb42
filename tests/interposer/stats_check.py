#!/usr/bin/python3
"""Checks the stats files switchyard wrote (--stats DIR/%p.json).

usage: stats_check.py DIR [--mode NAME] [--each-min KEY=N] [--sum-min KEY=N]
                          [--each-eq KEY=N] [--by-name-min NAME=N] [--files-min N]

Every *.json in DIR must parse and hold "syscalls", "by_name",
"sites_rewritten", "sud_traps" and "mode". --mode: every file's mode is NAME.
--each-min/--each-eq: per file; --sum-min/--by-name-min: over all files.
Prints what it found; exits 1 on the first unmet condition.
"""
import glob
import json
import os
import sys


def fail(msg):
    print("stats_check: FAIL " + msg)
    sys.exit(1)


def kv(s):
    k, _, v = s.partition("=")
    return k, int(v)


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        sys.exit(2)
    d = argv[1]
    files = sorted(glob.glob(os.path.join(d, "*.json")))
    if not files:
        fail("no stats file in %s (was --stats honoured?)" % d)
    stats = []
    for f in files:
        try:
            with open(f) as fh:
                s = json.load(fh)
        except Exception as e:  # noqa: BLE001 - report any parse problem
            fail("%s does not parse as JSON: %s" % (f, e))
        for key in ("syscalls", "by_name", "sites_rewritten", "sud_traps", "mode"):
            if key not in s:
                fail("%s has no key %r" % (f, key))
        stats.append((os.path.basename(f), s))
    summary = ", ".join(
        "%s: mode=%s syscalls=%s rewritten=%s traps=%s"
        % (n, s["mode"], s["syscalls"], s["sites_rewritten"], s["sud_traps"])
        for n, s in stats[:8])
    print("stats_check: %d file(s): %s%s" % (len(stats), summary, " ..." if len(stats) > 8 else ""))
    args = argv[2:]
    i = 0
    while i < len(args):
        opt, val = args[i], args[i + 1]
        i += 2
        if opt == "--mode":
            for n, s in stats:
                if s["mode"] != val:
                    fail("%s: mode %r, expected %r" % (n, s["mode"], val))
        elif opt == "--each-min":
            k, v = kv(val)
            for n, s in stats:
                if s[k] < v:
                    fail("%s: %s = %s, expected >= %d" % (n, k, s[k], v))
        elif opt == "--each-eq":
            k, v = kv(val)
            for n, s in stats:
                if s[k] != v:
                    fail("%s: %s = %s, expected %d" % (n, k, s[k], v))
        elif opt == "--sum-min":
            k, v = kv(val)
            total = sum(s[k] for _, s in stats)
            if total < v:
                fail("%s summed over %d file(s) = %d, expected >= %d" % (k, len(stats), total, v))
        elif opt == "--files-min":
            if len(stats) < int(val):
                fail("%d stats file(s), expected at least %s (one per process)" % (len(stats), val))
        elif opt == "--by-name-min":
            k, v = kv(val)
            total = sum(s["by_name"].get(k, 0) for _, s in stats)
            if total < v:
                fail("by_name[%s] summed = %d, expected >= %d" % (k, total, v))
        else:
            fail("unknown option " + opt)
    print("stats_check: ok")


main(sys.argv)
