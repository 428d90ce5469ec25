#!/usr/bin/env bash
# docs/ARCHITECTURE.md's index of the Notes matches the code (ctest `architecture_notes`):
# every Note named in the sources has a row, and the file of each row defines it
# ("Note [Name]:").
#   check_notes.sh SOURCE_DIR
set -euo pipefail
src=$1
doc=$src/docs/ARCHITECTURE.md
fail=0
rows=$(sed -nE 's/^\| ([^|]+) \| `([^`]+)` \|$/\1\t\2/p' "$doc")
[ -n "$rows" ] || { echo "notes: no index rows in $doc"; exit 1; }
while IFS= read -r name; do
  cut -f1 <<<"$rows" | grep -qxF -- "$name" || { echo "notes: FAIL: Note [$name] is not in $doc's index"; fail=1; }
done < <(cd "$src" && grep -rhoE 'Note \[[^]]+\]' engine kernels host scripts cmake bench tests python CMakeLists.txt \
           --include='*.cpp' --include='*.hpp' --include='*.cu' --include='*.in' --include='*.sh' --include='*.txt' \
           --include='*.cmake' --include='*.py' --exclude-dir=layers | sed -E 's/^Note \[(.*)\]$/\1/' | sort -u)
while IFS=$'\t' read -r name file; do
  if [ ! -f "$src/$file" ]; then echo "notes: FAIL: $file (Note [$name]) does not exist"; fail=1; continue; fi
  grep -qF "Note [$name]:" "$src/$file" || { echo "notes: FAIL: $file does not define Note [$name]"; fail=1; }
done <<<"$rows"
[ $fail = 0 ] && echo "notes: ok ($(wc -l <<<"$rows") notes)"
exit $fail
