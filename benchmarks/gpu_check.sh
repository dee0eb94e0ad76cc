#!/usr/bin/env bash
# GPU check of torquenet, in one run of at most ~8 minutes on a CUDA machine:
#   1. the CUDA-marked tests (pytest -m gpu),
#   2. CNN field evaluations of the shipped model at L = 96, 512 and 2048 (tiled at the default
#      256 MiB budget, and with a 16 GiB budget: untiled up to L ~ 2600),
#      and one CNN-LLG step (two evaluations and the SIB integrator) at each L,
#   2b. the energy head (fields by autograd) against the direct head at L = 96 and 512, and
#      bfloat16 autocast against float32 for the shipped model's forward,
#   3. a KPM field evaluation at L = 96 (KPMParams(device="cuda"), eager and compiled),
#   4. one training epoch of the tiny recipe on a tiny dataset generated here,
#   5. the domain-decomposed path: torchrun with one process (an NCCL world of size 1 on
#      CUDA, gloo on the CPU), 20 CNN-LLG steps at L = 512 through torquenet simulate.
# Writes a Markdown table to $OUT/gpu_check.md (OUT defaults to a fresh temporary folder) and
# prints it.  Without a CUDA device it says so and exits 0.
#
# Usage, from the repository root:  bash benchmarks/gpu_check.sh
# Smoke test of the script itself on a CPU machine (small sizes, no CUDA needed):
#   GPU_CHECK_DEVICE=cpu GPU_CHECK_SIZES="96 128" GPU_CHECK_KPM_MOMENTS=20 \
#   GPU_CHECK_KPM_DISTANCE=8 GPU_CHECK_KPM_COMPILE=0 GPU_CHECK_DIST_L=48 bash benchmarks/gpu_check.sh
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

OUT="${OUT:-$(mktemp -d)}"
mkdir -p "$OUT"
DEVICE="${GPU_CHECK_DEVICE:-cuda}"
SIZES="${GPU_CHECK_SIZES:-96 512 2048}"
PY=.venv/bin/python
KPM_MOMENTS="${GPU_CHECK_KPM_MOMENTS:-300}"
KPM_DISTANCE="${GPU_CHECK_KPM_DISTANCE:-48}"
KPM_COMPILE="${GPU_CHECK_KPM_COMPILE:-0 1}"
export OUT DEVICE PY
REPORT="$OUT/gpu_check.md"
ROWS="$OUT/gpu_check_rows.md"
: >"$ROWS"

if [ ! -x "$PY" ]; then
    echo "gpu_check: creating .venv and installing torquenet[test]"
    python3 -m venv .venv && .venv/bin/pip install -q -e ".[test]" || {
        echo "gpu_check: installation failed" >&2
        exit 1
    }
fi

if [ "$DEVICE" = "cuda" ]; then
    if ! "$PY" -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)"; then
        msg="gpu_check: no CUDA device visible to torch $("$PY" -c 'import torch; print(torch.__version__)' 2>/dev/null) (CUDA build: $("$PY" -c 'import torch; print(torch.version.cuda)' 2>/dev/null)); nothing to check."
        echo "$msg"
        printf '# torquenet GPU check\n\n%s\n' "$msg" >"$REPORT"
        exit 0
    fi
fi

elapsed() { # seconds between two `date +%s%N` stamps, one decimal
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'
}

row() { # name, status, seconds, details
    printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4" >>"$ROWS"
}

section() { # name, timeout (s), command...: runs it, logs to $OUT/<name>.log, adds a row
    local name="$1" limit="$2"
    shift 2
    local log="$OUT/${name// /_}.log" start end rc status detail
    echo "== $name (timeout ${limit} s)"
    start=$(date +%s%N)
    if declare -F "$1" >/dev/null; then # a function of this script: timeout needs a process
        timeout "$limit" bash -c "$(declare -f "$1"); $(declare -f elapsed); $1" >"$log" 2>&1
    else
        timeout "$limit" "$@" >"$log" 2>&1
    fi
    rc=$?
    end=$(date +%s%N)
    case $rc in
        0) status="ok" ;;
        124) status="TIMEOUT" ;;
        *) status="FAILED (rc $rc)" ;;
    esac
    detail=$(grep '^RESULT ' "$log" | sed 's/^RESULT //' | paste -sd ';' - | sed 's/;/; /g')
    [ -z "$detail" ] && detail=$(tail -n 1 "$log" | cut -c1-200)
    row "$name" "$status" "$(elapsed "$start" "$end")" "${detail//|//}"
    tail -n 3 "$log"
}

# ---------------------------------------------------------------- 1. CUDA-marked tests
pytest_gpu() {
    "$PY" -m pytest -q -m gpu -p no:cacheprovider
    local rc=$?
    echo "RESULT $(tail -n 1 "$OUT/pytest_-m_gpu.log" 2>/dev/null)"
    return $rc
}
if [ "$DEVICE" = "cuda" ]; then
    section "pytest -m gpu" 120 pytest_gpu
fi

# ---------------------------------------------------------------- 2. CNN field evaluations
cat >"$OUT/cnn_timing.py" <<'EOF'
import sys, time
import numpy as np
import torch
from torquenet.dynamics import LLGParams, sib_step, solver_field_function
from torquenet.ml import CNNSolver
from torquenet.pretrained import default_model_path
from torquenet.textures import random_spins

device, sizes = sys.argv[1], [int(s) for s in sys.argv[2:]]
cuda = device.startswith("cuda")
if cuda:
    print("device:", torch.cuda.get_device_name(), "torch", torch.__version__, flush=True)
for budget, label in ((None, "256 MiB"), (16 * 2**30, "16 GiB")):
    solver = CNNSolver.from_file(default_model_path(), device=device, max_memory=budget)
    for L in sizes:
        spins = random_spins(L, np.random.default_rng(0))
        plan = solver.tile_plan(L)
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        start = time.perf_counter()
        first = solver.compute(spins).fields
        times = [time.perf_counter() - start]
        for _ in range(2 if times[0] < 20 else 0):
            start = time.perf_counter()
            solver.compute(spins)  # returns numpy: synchronised
            times.append(time.perf_counter() - start)
        assert np.isfinite(first).all()
        best = min(times[1:] or times)
        peak = torch.cuda.max_memory_allocated() / 2**20 if cuda else float("nan")
        tiles = f"{plan.tiles_per_side}^2 x {plan.tile_size}" if plan.tiled else "untiled"
        step = float("nan")
        if label == "256 MiB" and best < 20:
            field_fn = solver_field_function(solver, LLGParams().external_field)
            start = time.perf_counter()
            sib_step(spins, field_fn, LLGParams(), None)
            step = time.perf_counter() - start
        print(
            f"RESULT L={L} budget {label} ({tiles}): {best:.3g} s/eval "
            f"({L * L / best:.3g} sites/s, first call {times[0]:.3g} s, peak {peak:.0f} MiB); "
            f"LLG step {step:.3g} s ({L * L / step:.3g} spin-steps/s)",
            flush=True,
        )
EOF
# shellcheck disable=SC2086
section "CNN fields (shipped model)" 150 "$PY" "$OUT/cnn_timing.py" "$DEVICE" $SIZES

# ------------------------------------------- 2b. energy head and bf16 (same device, ratios)
cat >"$OUT/energy_timing.py" <<'EOF'
import sys, time
import numpy as np
import torch
from torquenet.config import load_config
from torquenet.data import resolve_config_path
from torquenet.ml import CNNSolver, TrainConfig, build_model, load_model_file
from torquenet.model import SDModelParams
from torquenet.pretrained import default_model_path
from torquenet.textures import random_spins

device, sizes = sys.argv[1], [int(s) for s in sys.argv[2:]]
recipe = load_config(resolve_config_path("energy", "train"), TrainConfig).model
energy = build_model(recipe, 0.014, torch.Generator().manual_seed(0))
direct, _ = load_model_file(default_model_path())


def best(fn, n=3):
    fn()
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return min(out)


for L in sizes:
    spins = random_spins(L, np.random.default_rng(0))
    t_direct = best(lambda: CNNSolver(direct, SDModelParams(), device=device).compute(spins))
    t_energy = best(lambda: CNNSolver(energy, SDModelParams(), device=device).compute(spins))
    x = torch.tensor(np.moveaxis(spins, -1, 0)[None], dtype=torch.float32, device=device)
    model = direct.to(device).eval()

    def bf16():
        with torch.inference_mode(), torch.autocast(x.device.type, dtype=torch.bfloat16):
            model(x).float().cpu()

    def fp32():
        with torch.inference_mode():
            model(x).cpu()

    ratio = best(bf16) / best(fp32)
    print(
        f"RESULT L={L}: energy head {t_energy:.3g} s vs direct {t_direct:.3g} s per field "
        f"evaluation ({t_energy / t_direct:.2f}x); bf16 autocast / float32 forward {ratio:.2f}",
        flush=True,
    )
EOF
# shellcheck disable=SC2086
section "energy head and bf16" 90 "$PY" "$OUT/energy_timing.py" "$DEVICE" ${GPU_CHECK_ENERGY_SIZES:-96 512}

# ---------------------------------------------------------------- 3. KPM field evaluation
cat >"$OUT/kpm_timing.py" <<'EOF'
import sys, time
import numpy as np
from torquenet.model import SDModelParams
from torquenet.solvers import KPMParams, KPMSolver
from torquenet.textures import random_spins

device, L, moments, distance = sys.argv[1], 96, int(sys.argv[2]), int(sys.argv[3])
spins = random_spins(L, np.random.default_rng(0))
for compile_kernels in [bool(int(c)) for c in sys.argv[4:]]:
    params = KPMParams(
        num_moments=moments, probing_distance=distance, device=device, compile=compile_kernels
    )
    solver = KPMSolver(SDModelParams(), params)
    start = time.perf_counter()
    solver.compute(spins)
    first = time.perf_counter() - start
    start = time.perf_counter()
    result = solver.compute(spins)
    again = time.perf_counter() - start
    assert np.isfinite(result.fields).all()
    print(
        f"RESULT L={L} M={moments} d={distance} compile={compile_kernels}: {again:.3g} s/eval "
        f"(first call {first:.3g} s)",
        flush=True,
    )
EOF
# shellcheck disable=SC2086
section "KPM fields L=96" 120 "$PY" "$OUT/kpm_timing.py" "$DEVICE" "$KPM_MOMENTS" "$KPM_DISTANCE" \
    $KPM_COMPILE

# ---------------------------------------------------------------- 4. one training epoch
train_tiny() {
    .venv/bin/torquenet generate --config tiny --out "$OUT/tiny" || return 1
    local start end
    start=$(date +%s%N)
    .venv/bin/torquenet train --config tiny --data "$OUT/tiny" --out "$OUT/tiny_run" \
        --epochs 1 --device "$DEVICE" || return 1
    end=$(date +%s%N)
    test -f "$OUT/tiny_run/best_model.pt" || { echo "no best_model.pt"; return 1; }
    echo "RESULT generate + 1 epoch, training alone $(elapsed "$start" "$end") s, best_model.pt written"
}
section "train tiny, 1 epoch" 100 train_tiny

# ---------------------------------------------------------------- 5. distributed path
distributed_one() {
    local start end
    start=$(date +%s%N)
    "$PY" -m torch.distributed.run --standalone --nproc-per-node 1 -m torquenet simulate \
        --solver cnn --device "$DEVICE" --L "${GPU_CHECK_DIST_L:-512}" --steps 20 \
        --save-every 10 --checkpoint-every 10 --temperature 0.01 --overwrite \
        --out "$OUT/distributed_one.h5" || return 1
    end=$(date +%s%N)
    "$PY" -c "
import sys, numpy as np
from torquenet.data import read_trajectory
run = read_trajectory(sys.argv[1])
assert int(run.attributes['num_processes']) == 1 and np.isfinite(run.spins).all()
print(f'RESULT torchrun 1 process, 20 steps at L = {run.spins.shape[1]}: {sys.argv[2]} s with start-up')
" "$OUT/distributed_one.h5" "$(elapsed "$start" "$end")"
}
section "torchrun 1 process (NCCL on CUDA)" 120 distributed_one

# ---------------------------------------------------------------- report
{
    echo "# torquenet GPU check"
    echo
    echo "\`bash benchmarks/gpu_check.sh\`, $(date -u +%Y-%m-%d), device $DEVICE:" \
        "$("$PY" -c 'import torch; print(torch.cuda.get_device_name() if torch.cuda.is_available() else "no CUDA")' 2>/dev/null)," \
        "torch $("$PY" -c 'import torch; print(torch.__version__)' 2>/dev/null)," \
        "$(nproc) CPUs. Logs: \`$OUT/*.log\`."
    echo
    echo "| check | status | seconds | result |"
    echo "|---|---|---|---|"
    cat "$ROWS"
} >"$REPORT"
echo
cat "$REPORT"
grep -q "FAILED\|TIMEOUT" "$ROWS" && exit 1
exit 0
