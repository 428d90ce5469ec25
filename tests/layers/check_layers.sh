#!/usr/bin/env bash
# Tripwire for the layers (docs/ARCHITECTURE.md): run by ctest as `layers`.
#   check_layers.sh SOURCE_DIR BUILD_DIR CUDA(ON|OFF) CMAKE GENERATOR CUDA_COMPILER [-DVAR=VALUE...]
# (the -D settings are the build's own: portable, FFmpeg prefix, architectures)
# 1. A fresh configure of the same configuration draws the target graph (cmake --graphviz):
#    no path from cuframe_core or cuframe_kernels to an FFmpeg library, no edge from
#    cuframe_io to a CUDA target, and the layer targets exist.
# 2. The build's compile_commands.json: every source under engine/core, kernels/ and
#    host/io/ is compiled by its layer's target and by no other, and every source there
#    that this configuration builds (CUDA: all but *_nocuda.cpp / *_cpu.cpp; CPU-only: all
#    but *.cu / *_cuda.cpp / cuda_*.cpp) is compiled.
# 3. The include rules: nothing under host/io includes a CUDA header, nothing under
#    engine/core or kernels/ an FFmpeg one, and no libavcodec decode/encode call is in host/.
# 4. The facade: no FFmpeg type, FFmpeg include, test friend or void* stream in an installed
#    header.
set -euo pipefail
src=$1 build=$2 cuda=$3 cmake=$4 generator=$5 cuda_compiler=${6:-}
fail=0
bad() { echo "layers: FAIL: $*"; fail=1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
args=(-S "$src" -B "$work/b" -G "$generator" -DCUFRAME_CUDA="$cuda" -DCUFRAME_BUILD_TESTS=OFF
      -DCUFRAME_BUILD_BENCH=OFF "--graphviz=$work/graph.dot" "${@:7}")
[ -n "$cuda_compiler" ] && [ "$cuda" = ON ] && args+=(-DCMAKE_CUDA_COMPILER="$cuda_compiler")
"$cmake" "${args[@]}" >"$work/configure.log" 2>&1 || { cat "$work/configure.log"; bad "configure failed"; exit 1; }
dot=$work/graph.dot

# node id -> label, and edges "from to"
labels=$(sed -nE 's/^ *"(node[0-9]+)" \[ label = "([^"\\]+)(\\n[^"]*)?".*/\1 \2/p' "$dot")
edges=$(sed -nE 's/^ *"(node[0-9]+)" -> "(node[0-9]+)".*/\1 \2/p' "$dot")
id_of() { awk -v l="$1" '$2 == l { print $1 }' <<<"$labels"; }
label_of() { awk -v n="$1" '$1 == n { print $2 }' <<<"$labels"; }
for t in cuframe_core cuframe_kernels cuframe_io cuframe; do
  [ -n "$(id_of $t)" ] || bad "target $t is missing from the graph"
done
reachable() {  # every node reachable from $1
  local todo=("$1") seen=" $1 " n next
  while [ ${#todo[@]} -gt 0 ]; do
    n=${todo[0]}; todo=("${todo[@]:1}")
    for next in $(awk -v n="$n" '$1 == n { print $2 }' <<<"$edges"); do
      case "$seen" in *" $next "*) ;; *) seen+="$next "; todo+=("$next");; esac
    done
  done
  echo "$seen"
}
is_ffmpeg() { grep -qiE '^(cuframe_ffmpeg|PkgConfig::FFMPEG)$|av(codec|format|util)|swscale' <<<"$1"; }
for t in cuframe_core cuframe_kernels; do
  id=$(id_of $t); [ -n "$id" ] || continue
  for n in $(reachable "$id"); do
    l=$(label_of "$n")
    if is_ffmpeg "$l"; then bad "$t reaches the FFmpeg library $l"; fi
  done
done
io=$(id_of cuframe_io)
if [ -n "$io" ]; then
  for n in $(awk -v n="$io" '$1 == n { print $2 }' <<<"$edges"); do
    l=$(label_of "$n")
    case "$l" in CUDA::*|*cudart*|*cuda_driver*|cuframe_virtual_cud*) bad "cuframe_io links the CUDA target $l";; esac
  done
fi

# Which target compiles each source (object paths are <target>.dir/...).
cc=$build/compile_commands.json
[ -f "$cc" ] || { bad "no $cc (CMAKE_EXPORT_COMPILE_COMMANDS)"; exit 1; }
# "command" (with its -o OBJECT) comes before "file" in each entry.
compiled=$(grep -oE '"command": *"[^"]*"|"file": *"[^"]+"' "$cc" |
           awk '/^"command"/ { o = ""; if (match($0, / -o [^ ]+/)) o = substr($0, RSTART + 4, RLENGTH - 4) }
                /^"file"/ { f = $0; sub(/^"file": *"/, "", f); sub(/"$/, "", f); print f, o }')
check_folder() {  # folder target
  local folder=$1 target=$2 f out expect
  while read -r f out; do
    case "$f" in "$src/$folder/"*)
      case "$out" in *"/$target.dir/"*) ;; *) bad "${f#$src/} is compiled by ${out%%.dir/*} (want $target)";; esac;;
    esac
  done <<<"$compiled"
  while read -r f; do
    [ -n "$f" ] || continue
    b=$(basename "$f")
    if [ "$cuda" = ON ]; then
      case "$b" in *_nocuda.cpp|*_cpu.cpp) continue;; esac
    else
      case "$b" in *_cpu.cpp) ;; *.cu|*_cuda.cpp|cuda_*.cpp) continue;; esac
    fi
    grep -q "^$f " <<<"$compiled" || bad "${f#$src/} is not compiled by any target (want $target)"
  done < <(find "$src/$folder" -name '*.cpp' -o -name '*.cu' | sort)
}
check_folder engine/core cuframe_core
check_folder kernels cuframe_kernels
check_folder host/io cuframe_io

# Include rules.
if grep -rnE '#include *[<"](cuda|cuda_runtime|cuda_runtime_api|cuda_check)(\.h|\.hpp)[>"]' "$src/host/io"; then
  bad "host/io includes a CUDA header"
fi
if grep -rnE '#include *<lib(avcodec|avformat|avutil|swscale)/' "$src/engine/core" "$src/kernels"; then
  bad "engine/core or kernels/ include an FFmpeg header"
fi
if grep -rnE 'avcodec_(send|receive)_(packet|frame)' "$src/host"; then
  bad "codec work under host/ (it belongs in engine/)"
fi

# The facade: installed headers declare no FFmpeg type (outside comments), include no
# FFmpeg header, befriend no test, and take no raw void* stream (Note [Stream rule]).
inc=("$src/engine/include" "$src/engine/core/include" "$src/kernels/include" "$src/host/io/include")
# Matches in code only: comments (// to the end of a line, lines of a /* */ block) are cut.
code_lines() {
  grep -rnE "$1" "${inc[@]}" | sed -E 's#^([^:]+:[0-9]+:)(.*)$#\1 \2#' |
    awk -v re="$1" '{ line = $0; sub(/\/\/.*$/, "", line); sub(/^[^:]+:[0-9]+: *\*.*$/, "", line);
                      sub(/^[^:]+:[0-9]+: */, "", line); if (line ~ re) print $0 }' || true
}
ff_types='(^|[^A-Za-z0-9_])(AV[A-Z][a-z][A-Za-z]*|Sws[A-Z][a-z][A-Za-z]*)'  # mawk: no \< \>
[ -z "$(code_lines "$ff_types")" ] || { code_lines "$ff_types"; bad "an installed header names an FFmpeg type"; }
[ -z "$(code_lines '#include *<lib(avcodec|avformat|avutil|swscale)/')" ] || bad "an installed header includes an FFmpeg header"
[ -z "$(code_lines 'friend .*([Tt]est|testing)')" ] || bad "an installed header befriends a test"
[ -z "$(code_lines 'void *\* *stream')" ] || { code_lines 'void *\* *stream'; bad "an installed header takes a void* stream"; }

if [ $fail = 0 ]; then echo "layers: ok (CUDA=$cuda)"; fi
exit $fail
