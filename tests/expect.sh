#!/bin/sh
# Runs a command and passes only if its exit status is the expected one AND its output (stdout
# and stderr) matches every given pattern. CTest's PASS_REGULAR_EXPRESSION alone ignores the
# exit status, so a program that printed its success line and then failed would pass.
#   expect.sh [--status N] [-e ERE]... [--skip-if ERE] -- COMMAND [ARG]...
# Default status 0. Exit 77 from the command (a skip) is passed through unless 77 is expected;
# --skip-if turns a failure whose output matches ERE into a skip (a device without a feature
# the command needs, named in its message).
want=0
skip_if=
patterns=$(mktemp) || exit 1
trap 'rm -f "$patterns"' EXIT
while [ $# -gt 0 ]; do
  case $1 in
    --status) want=$2; shift 2 ;;
    -e) printf '%s\n' "$2" >>"$patterns"; shift 2 ;;
    --skip-if) skip_if=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "expect.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "expect.sh: no command" >&2; exit 2; }
out=$(mktemp) || exit 1
trap 'rm -f "$patterns" "$out"' EXIT
"$@" >"$out" 2>&1
status=$?
cat "$out"
if [ "$status" -ne "$want" ]; then
  [ "$status" -eq 77 ] && exit 77
  if [ -n "$skip_if" ] && grep -Eq -- "$skip_if" "$out"; then
    echo "expect.sh: skipped: the output matches /$skip_if/"
    exit 77
  fi
  echo "expect.sh: exit status $status, expected $want: $*"
  exit 1
fi
while IFS= read -r re; do
  grep -Eq -- "$re" "$out" || { echo "expect.sh: output lacks /$re/: $*"; exit 1; }
done <"$patterns"
exit 0
