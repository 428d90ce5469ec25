#!/usr/bin/env bash
# A page's embedded copies of the files beside it match them (ctest docs_scale_out_copies):
# every file of FOLDER appears in PAGE as the fenced block right after a line
# "<!-- copy of FOLDER/NAME ...", byte for byte, so the two cannot drift. Scripts must also
# parse (bash -n), and YAML too where python3 has its yaml module (no dependency added).
#   check_doc_copies.sh SOURCE_DIR PAGE FOLDER     (PAGE and FOLDER relative to SOURCE_DIR)
set -euo pipefail
src=$1
page=$src/$2
folder=$3
fail=0
shopt -s nullglob
files=("$src/$folder"/*)
[ ${#files[@]} -gt 0 ] || { echo "doc copies: FAIL: no files in $folder"; exit 1; }
for f in "${files[@]}"; do
  rel=$folder/$(basename "$f")
  # The block: the lines between the fence after the marker and the next closing fence.
  block=$(awk -v marker="<!-- copy of $rel " '
    index($0, marker) == 1 { found = 1; next }
    found == 1 && /^```/ { found = 2; next }
    found == 1 { exit 2 }
    found == 2 && /^```$/ { exit 0 }
    found == 2 { print }
    END { if (found != 2) exit 3 }' "$page") || {
    echo "doc copies: FAIL: $2 has no copy of $rel (a line '<!-- copy of $rel ...' and a fenced block)"
    fail=1
    continue
  }
  if [ "$block" != "$(cat "$f")" ]; then
    echo "doc copies: FAIL: $2's copy of $rel differs from the file:"
    diff <(printf '%s\n' "$block") "$f" | head -20 || true
    fail=1
  fi
  case $f in
    *.sh|*.sbatch) bash -n "$f" || { echo "doc copies: FAIL: $rel does not parse"; fail=1; } ;;
    *.yaml|*.yml)
      if python3 -c 'import yaml' 2>/dev/null; then
        python3 -c 'import sys, yaml; list(yaml.safe_load_all(open(sys.argv[1])))' "$f" ||
          { echo "doc copies: FAIL: $rel is not YAML"; fail=1; }
      else
        echo "doc copies: $rel: no python3 yaml module, not parsed"
      fi ;;
  esac
done
[ $fail = 0 ] && echo "doc copies: ok (${#files[@]} files in $2)"
exit $fail
