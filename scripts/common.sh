# Sourced by the scripts: picks the configure preset for this machine.
# CUFRAME_PRESET overrides; without nvcc the CPU-only preset is used: `cpu` for `dev`,
# `ci-cpu` (also warnings as errors) for `ci`.
cuframe_pick_preset() {
  local wanted=$1
  if [ -n "${CUFRAME_PRESET:-}" ]; then echo "$CUFRAME_PRESET"; return; fi
  if [ -x /usr/local/cuda/bin/nvcc ] || command -v nvcc >/dev/null 2>&1; then
    echo "$wanted"
  elif [ "$wanted" = ci ]; then
    echo "ci-cpu"
  else
    echo "cpu"
  fi
}
cuframe_jobs() { nproc 2>/dev/null || echo 2; }
