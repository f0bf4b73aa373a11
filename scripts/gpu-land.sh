#!/usr/bin/env bash
# Back from a GPU machine: turn the packed results of scripts/gpu-run.sh into this checkout's
# cached result, with every cell checked against COMMIT by git (not only against the copied
# tree's hash, as on the device), and keep the device's checks and reports.
#
#   bash scripts/gpu-land.sh GPU_RESULTS.tgz COMMIT
#
# Collects a partial result (named as such everywhere) where cells are missing; the wall time is
# the one the device's collect recorded. Then prints what to run and commit.
set -euo pipefail
tgz=$1 commit=$2
py=${PYTHON:-.venv/bin/python}
scale=${GPU_SCALE:-gpu}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar xzf "$tgz" -C "$tmp"
cells=$(ls -d "$tmp"/data/results/kp_finetune/.cells/"$scale"-* | head -1)
[ -d "$cells" ] || { echo "no $scale cells in $tgz"; exit 2; }
wall=$("$py" -c "import json,sys; print(json.load(open(sys.argv[1])).get('wall_time_s') or '')" \
  "$tmp/data/results/kp_finetune/$scale/provenance.json" 2>/dev/null || true)
complete=$("$py" -c "import json,sys; print(json.load(open(sys.argv[1])).get('complete', True))" \
  "$tmp/data/results/kp_finetune/$scale/provenance.json" 2>/dev/null || echo False)
partial=()
[ "$complete" = True ] || partial=(--partial)
"$py" -m deadpixels collect kp_finetune --scale "$scale" --cells "$cells" --commit "$commit" \
  ${wall:+--wall-time "$wall"} "${partial[@]}"
mkdir -p "data/checks/kp_finetune_$scale"
cp -v "$tmp"/data/checks/kp_finetune_"$scale"/*.json "data/checks/kp_finetune_$scale/" 2>/dev/null || true
echo
echo "next: $py -m deadpixels claims && $py -m deadpixels claims --scale $scale; then commit data/results and data/checks"
