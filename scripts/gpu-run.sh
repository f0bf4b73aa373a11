#!/usr/bin/env bash
# The gpu scale on a lent GPU machine, from a copy of a clean commit's working tree (no .git):
#
#   bash scripts/gpu-run.sh COMMIT SOURCE_HASH OUT_DIR
#
# COMMIT is the commit the tree was copied from (recorded in the provenance, which has no git to
# ask) and SOURCE_HASH that commit's source hash of kp_finetune (`python -m deadpixels hash
# kp_finetune`): the run refuses to start on any other code. Wheels the machine lacks are taken
# from gpu-wheels/ (see the README). Writes OUT_DIR/gpu-results.tgz (the result, its cell cache
# and the ERF precision check) and the logs.
#
# GPU_SCALE, GPU_DEVICE and GPU_JOBS (gpu, cuda, 6) let the same script be tried at smoke scale on a
# CPU first; the experiment stops GPU_DEADLINE seconds (585) after the script started, so that the
# cells computed by then are packed and come back (a rerun computes only the missing ones).
set -euo pipefail
t0=$(date +%s)
commit=$1 expected=$2 out=$3
scale=${GPU_SCALE:-gpu} device=${GPU_DEVICE:-cuda} jobs=${GPU_JOBS:-6}
mkdir -p "$out"
exec > >(tee "$out/gpu-run.log") 2>&1

echo "== machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || echo "no nvidia-smi"
nproc
python3 -c "import torch, torchvision; print('torch', torch.__version__, 'torchvision', torchvision.__version__)"

echo "== missing packages, from the carried wheels"
site="$PWD/gpu-site"
if [ -d gpu-wheels ]; then python3 -m pip install -q --no-deps --target "$site" gpu-wheels/*.whl; fi
export PYTHONPATH="$PWD/src:$site" DEADPIXELS_GIT_COMMIT="$commit"

echo "== the code is the commit's"
actual=$(python3 -m deadpixels hash kp_finetune)
echo "source hash $actual (expected $expected, commit $commit)"
[ "$actual" = "$expected" ] || { echo "source hash mismatch: refusing to run"; exit 3; }

echo "== ERF precision on the GPU (float32 vs the float64 definition)"
mkdir -p data/checks
timeout 120 python3 scripts/erf_precision.py --device "$device" --out "data/checks/erf_precision_$device.json" \
  || echo "ERF check failed: $?"

echo "== kp_finetune at $scale scale"
start=$(date +%s)
rc=0
limit=$(( ${GPU_DEADLINE:-585} - (start - t0) ))
echo "time left for the experiment: $limit s"
timeout "$limit" python3 -m deadpixels run kp_finetune --scale "$scale" --device "$device" --jobs "$jobs" \
  --quiet || rc=$?
echo "kp_finetune: exit $rc after $(( $(date +%s) - start )) s"

echo "== pack"
tar czf "$out/gpu-results.tgz" $(ls -d data/results/kp_finetune/"$scale" data/results/kp_finetune/.cells data/checks 2>/dev/null)
ls -la "$out"
exit "$rc"
