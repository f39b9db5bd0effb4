#!/bin/bash
# measure.sh RESULT_FILE CMD [ARGS...]
# Runs CMD and writes its exit status, wall time and I/O counters to RESULT_FILE.
#
# Why this is correct for a pipeline: when a process reaps a child, the kernel adds the child's I/O counters
# (and those the child had collected from its own reaped children) to the reaper's signal-wide counters, which
# /proc/<pid>/io reports for the whole process. So once CMD has exited and been reaped by this shell,
# /proc/$$/io holds CMD's write_bytes plus every process CMD ran and waited for. This shell itself writes
# nothing to storage before the counters are read (the result file is written only afterwards).
out=$1
shift
t0=$EPOCHREALTIME
"$@"
rc=$?
t1=$EPOCHREALTIME
io=''
while read -r key value; do io+="${key%:} $value"$'\n'; done </proc/$$/io
printf 'rc %s\nt0 %s\nt1 %s\n%s' "$rc" "$t0" "$t1" "$io" >"$out"
exit "$rc"
