#!/usr/bin/env bash
# The gpu scale on a lent GPU machine, from a copy of a clean commit's working tree (no .git), in
# one command: take the resume kit, complete the run, collect it, measure the rerun spread, pack.
#
#   bash scripts/gpu-run.sh COMMIT SOURCE_HASH OUT_DIR [KIT.tgz]
#
# COMMIT is the commit the tree was copied from (recorded in the provenance, which has no git to
# ask) and SOURCE_HASH that commit's source hash of kp_finetune (`python -m deadpixels hash
# kp_finetune`): the run refuses to start on any other code. KIT is a resume kit (a tarball of
# cached cells, e.g. data/checks/kp_finetune_gpu/cells-31dcb3e.tgz): its cells are reused where
# their config and source hash are this tree's, so only the missing cells are computed. Wheels the
# machine lacks are taken from gpu-wheels/ (see the README).
#
# In order, each step only while time is left before the deadline:
#   1. the machine, the wheels, the source hash check, the kit;
#   2. the float32-vs-float64 ERF check on this device (scripts/erf_precision.py);
#   3. kp_finetune at GPU_SCALE (cached cells reused), stopped at the deadline;
#   4. collect: the cells into the canonical result (partial where cells are missing);
#   5. the measured spread: GPU_SPREAD cells rerun GPU_SPREAD_REPEAT times against the cached ones
#      (`verify --cells`), the source of the trained tolerance;
#   6. a profile of one shortened cell, with and without deterministic algorithms (what cuDNN
#      determinism costs);
#   7. pack: OUT_DIR/gpu-results.tgz (result, cells, checks, reports) and the log.
# Back on a git checkout, `bash scripts/gpu-land.sh OUT_DIR/gpu-results.tgz COMMIT` collects the
# cells again there, checking them against the commit.
#
# GPU_SCALE, GPU_DEVICE and GPU_JOBS (gpu, cuda, 6) let the same script be tried at smoke scale on
# a CPU first; GPU_DEADLINE (585) is the seconds after the start by which everything is packed;
# PYTHON (python3) is the interpreter.
set -euo pipefail
py=${PYTHON:-python3}
t0=$(date +%s)
commit=$1 expected=$2 out=$3 kit=${4:-}
scale=${GPU_SCALE:-gpu} device=${GPU_DEVICE:-cuda} jobs=${GPU_JOBS:-6}
deadline=${GPU_DEADLINE:-585}
spread=${GPU_SPREAD-"seed=0,method=vanilla seed=0,method=kp"} repeat=${GPU_SPREAD_REPEAT:-2}
mkdir -p "$out"
out=$(cd "$out" && pwd)
exec > >(tee "$out/gpu-run.log") 2>&1
left() { echo $(( deadline - ($(date +%s) - t0) )); }
checks=data/checks/kp_finetune_$scale
mkdir -p "$checks"

echo "== machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || echo "no nvidia-smi"
nproc
$py -c "import torch, torchvision; print('torch', torch.__version__, 'torchvision', torchvision.__version__)"

echo "== missing packages, from the carried wheels"
site="$PWD/gpu-site"
if [ -d gpu-wheels ]; then $py -m pip install -q --no-deps --target "$site" gpu-wheels/*.whl; fi
export PYTHONPATH="$PWD/src:$site" DEADPIXELS_GIT_COMMIT="$commit"

echo "== the code is the commit's"
actual=$($py -m deadpixels hash kp_finetune)
echo "source hash $actual (expected $expected, commit $commit)"
[ "$actual" = "$expected" ] || { echo "source hash mismatch: refusing to run"; exit 3; }

if [ -n "$kit" ]; then
  echo "== resume kit $kit"
  tar xzf "$kit"
  find data/results/kp_finetune/.cells -name provenance.json | wc -l | xargs echo "cells in the kit:"
fi

echo "== ERF precision on the device (float32 vs the float64 definition)"
timeout 120 $py scripts/erf_precision.py --device "$device" --out "$checks/erf_precision_$device.json" \
  || echo "ERF check failed: $?"

echo "== kp_finetune at $scale scale"
start=$(date +%s)
rc=0
limit=$(( $(left) - 30 ))  # 30 s kept for collect and pack
echo "time left for the experiment: $limit s"
timeout "$limit" $py -m deadpixels run kp_finetune --scale "$scale" --device "$device" --jobs "$jobs" \
  --quiet || rc=$?
wall=$(( $(date +%s) - start ))
echo "kp_finetune: exit $rc after $wall s"

echo "== collect"
cells=$(ls -d data/results/kp_finetune/.cells/"$scale"-* | head -1)
$py -m deadpixels collect kp_finetune --scale "$scale" --cells "$cells" --commit "$commit" \
  --source-hash "$expected" --wall-time "$wall" \
  || $py -m deadpixels collect kp_finetune --scale "$scale" --cells "$cells" --commit "$commit" \
       --source-hash "$expected" --wall-time "$wall" --partial \
  || echo "collect failed"

if [ -n "$spread" ] && [ "$rc" = 0 ] && [ "$(left)" -gt 200 ]; then
  echo "== measured spread: $spread, $repeat reruns each ($(left) s left)"
  # shellcheck disable=SC2086
  timeout $(( $(left) - 60 )) $py -m deadpixels verify kp_finetune --scale "$scale" --device "$device" \
    --jobs "$jobs" --quiet --cells $spread --repeat "$repeat" --report "$checks/spread-$device.json" \
    || echo "spread: exit $?"
fi

if [ "$(left)" -gt 90 ]; then
  echo "== profile of one shortened cell, default and deterministic ($(left) s left)"
  for det in "" "--deterministic"; do
    timeout $(( ($(left) - 30) / 2 )) $py benchmarks/profile_cell.py --scale "$scale" --device "$device" \
      --methods vanilla --set epochs=2 $det --json "$checks/profile-$device${det:+-deterministic}.json" \
      || echo "profile: exit $?"
  done
fi

echo "== pack"
tar czf "$out/gpu-results.tgz" $(ls -d data/results/kp_finetune/"$scale" data/results/kp_finetune/.cells "$checks" \
  2>/dev/null)
ls -la "$out"
echo "done after $(( $(date +%s) - t0 )) s"
exit "$rc"
