#!/usr/bin/env bash
# The ctest nvdec_trace_model (virtual-gpu build): the NVDEC trace recorder against the
# virtual NVDEC, and the comparison that a real GPU's trace goes through.
#   check_model.sh TOOL DATA_DIR WORK_DIR
# Each reference stream of DATA_DIR/nvdec_traces/STREAMS.tsv is recorded twice, with the
# recorder's trace and the model's own (CUFRAME_VIRTUAL_TRACE) side by side. Then:
#   1. the two runs agree (the model is deterministic);
#   2. the recorder writes what the model traces, line for line (bar the model's notes and
#      end_of_stream's pending count), so that its trace on a real GPU is comparable;
#   3. the trace is DATA_DIR/nvdec_traces/NAME.jsonl, the reference scripts/gpu-check.sh
#      compares the node's trace with (after a change to the model, CUFRAME_UPDATE_TRACES=1
#      rewrites the references: commit them with the change);
#   4. the comparison fails on a changed timestamp, on two pictures shown in the other
#      order and on a missing decode callback, and only informs about another pitch.
set -euo pipefail
tool=$1 data=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
fail=0
ok() { echo "nvdec_trace_model: ok: $*"; }
bad() { echo "nvdec_trace_model: FAIL: $*"; fail=1; }
# expect STATUS PATTERN DESCRIPTION EXPECTED ACTUAL: compare's exit status, and a line of its
# output that PATTERN matches (empty: none needed).
expect() {
  local want=$1 pattern=$2 what=$3 got=0
  "$tool" compare "$4" "$5" > "$work/compare.txt" 2>&1 || got=$?
  if [ "$got" != "$want" ]; then
    bad "$what: compare exited $got, want $want"
    sed 's/^/    | /' "$work/compare.txt"
  elif [ -n "$pattern" ] && ! grep -qE "$pattern" "$work/compare.txt"; then
    bad "$what: no line matches /$pattern/"
    sed 's/^/    | /' "$work/compare.txt"
  else
    ok "$what"
  fi
}
streams=0
while IFS=$'\t' read -r name path; do
  [ -n "$name" ] || continue
  streams=$((streams + 1))
  for run in 1 2; do
    CUFRAME_VIRTUAL_TRACE=$work/$name.model.$run.jsonl "$tool" record "$work/$name.$run.jsonl" "$data/$path" > "$work/$name.$run.log" 2>&1 ||
      { bad "$name: record failed"; sed 's/^/    | /' "$work/$name.$run.log"; continue 2; }
  done
  expect 0 '' "$name: two runs agree" "$work/$name.model.1.jsonl" "$work/$name.model.2.jsonl"
  expect 0 '' "$name: the recorder's trace compares equal to the model's" "$work/$name.model.1.jsonl" "$work/$name.1.jsonl"
  strip() { grep -vE '"call":"(dropped|unmatched)"' "$1" | sed -E 's/"pending":[0-9]+/"pending":N/'; }
  if diff <(strip "$work/$name.model.1.jsonl") <(strip "$work/$name.1.jsonl") > "$work/$name.diff"; then
    ok "$name: the recorder writes the model's lines"
  else
    bad "$name: the recorder's lines differ from the model's"
    head -20 "$work/$name.diff" | sed 's/^/    | /'
  fi
  ref=$data/nvdec_traces/$name.jsonl
  if [ "${CUFRAME_UPDATE_TRACES:-0}" = 1 ]; then
    cp "$work/$name.1.jsonl" "$ref"
    echo "nvdec_trace_model: wrote $ref"
  fi
  expect 0 '' "$name: the model still gives the reference trace $ref" "$ref" "$work/$name.1.jsonl"
  # The comparison can fail.
  awk 'index($0, "\"call\":\"display\"") && ++k == 3 && match($0, /"timestamp":-?[0-9]+/) {
         $0 = substr($0, 1, RSTART + 11) (substr($0, RSTART + 12, RLENGTH - 12) + 999) substr($0, RSTART + RLENGTH) }
       { print }' "$work/$name.1.jsonl" > "$work/$name.ts.jsonl"
  expect 1 'DIFF timestamps' "$name: a changed timestamp is a difference" "$work/$name.1.jsonl" "$work/$name.ts.jsonl"
  awk 'index($0, "\"call\":\"decode\"") && ++k == 5 { next } { print }' "$work/$name.1.jsonl" > "$work/$name.nodecode.jsonl"
  expect 1 'DIFF calls: decode' "$name: a missing decode callback is a difference" "$work/$name.1.jsonl" "$work/$name.nodecode.jsonl"
  # Pictures 2 and 3 shown the other way round: swap the indices and timestamps of the
  # 2nd and 3rd display (each is followed by its map and unmap of the same index).
  awk 'index($0, "\"call\":\"display\"") { k++ } { line[NR] = $0; if (index($0, "\"call\":\"display\"") && (k == 2 || k == 3)) at[k] = NR }
       END { for (i = 1; i <= NR; i++) { j = i; if (i == at[2]) j = at[3]; else if (i == at[3]) j = at[2]; print line[j] } }' \
    "$work/$name.1.jsonl" > "$work/$name.swap.jsonl"
  expect 1 'DIFF (display order|timestamps|map)' "$name: two pictures shown in the other order are a difference" \
    "$work/$name.1.jsonl" "$work/$name.swap.jsonl"
  sed -E 's/"pitch":([0-9]+)/"pitch":\10/' "$work/$name.1.jsonl" > "$work/$name.pitch.jsonl"
  expect 0 'info pitch' "$name: another pitch is information only" "$work/$name.1.jsonl" "$work/$name.pitch.jsonl"
done < "$data/nvdec_traces/STREAMS.tsv"
[ "$streams" -ge 3 ] || bad "fewer than 3 reference streams in $data/nvdec_traces/STREAMS.tsv"
[ $fail = 0 ] && echo "nvdec_trace_model: ok ($streams streams)"
exit $fail
