#!/usr/bin/env bash
# One lane of the frontier ensemble (benchmarks/bench_frontier.py), one thread, contenders in
# order of need.  Start it twice to work both cores on one ensemble (a run locked by the other
# lane is skipped); rerun it to resume.  Finished runs are archived by
#   .venv/bin/python benchmarks/bench_frontier.py --archive-only
# (then commit benchmarks/results/frontier/): runs/ does not outlive a working session here.
# Runs already archived are skipped.
#   mkdir -p runs/frontier
#   (bash benchmarks/frontier_lane.sh >> runs/frontier/lane1.log 2>&1 &)
#   (bash benchmarks/frontier_lane.sh >> runs/frontier/lane2.log 2>&1 &)
set -u
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE FRONTIER_THREADS=1
for name in ed_T0 network kpm_fresh_d4 kpm_fixed_d4 ed_T0.001 kpm_fresh_d6 kpm_fixed_d6 \
            kpm_fresh_d8 kpm_fixed_d8 kpm_fresh_d12 kpm_fixed_d12; do
  .venv/bin/python benchmarks/bench_frontier.py --out runs/frontier --only "$name"
done
