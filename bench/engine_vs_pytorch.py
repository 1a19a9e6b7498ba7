# SPDX-License-Identifier: Apache-2.0
"""Times the LibTorch engine against PyTorch from Python on the same models,
data, batch size and thread count, and a 1024x1024 float matrix product
against this CPU's AVX2 peak. Run through bench/engine_vs_pytorch.sh.

Both sides time only their loops (not process start or data generation):
one epoch of training (SGD, MSE, batch 32), then one epoch of inference.
"""
import argparse
import ctypes
import os
import pathlib
import re
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[1]
# Untimed training and inference batches on each side before the timed
# epoch: oneDNN builds its kernels on first use, which is not per-step cost.
WARMUP = 3

MODELS = [
    # (label, model, samples)
    ("MLP 25x10", "mlp:depth=10,width=25,inputs=100", None),
    ("MLP 100x10", "mlp:depth=10,width=100,inputs=100", None),
    ("MLP 25x100", "mlp:depth=100,width=25,inputs=100", None),
    ("MLP 100x100", "mlp:depth=100,width=100,inputs=100", None),
    ("conv1d 16x4", "cnn:depth=4,filters=16,inputs=100", "conv"),
    ("conv2d 28x28", str(REPO / "bench" / "models" / "conv2d_small.yaml"),
     "conv"),
]


def avx2_peak_gflops(cores):
    """cores x GHz x 32: two 256-bit FMA units, 8 float32 lanes each, two
    FLOP per FMA. GHz: lscpu's max MHz, else BogoMIPS / 2 (x86 reports
    twice the TSC frequency). Also says whether the CPU has AVX-512."""
    text = subprocess.run(["lscpu"], capture_output=True, text=True,
                          check=False).stdout
    mhz = re.search(r"CPU max MHz:\s*([\d.]+)", text)
    if mhz:
        ghz, how = float(mhz.group(1)) / 1000, "lscpu max MHz"
    else:
        bogo = re.search(r"BogoMIPS:\s*([\d.]+)", text)
        ghz, how = float(bogo.group(1)) / 2000, "BogoMIPS / 2"
    return cores * ghz * 32, ghz, how, " avx512f" in text


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--driver", required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--samples", type=int, default=6400)
    parser.add_argument("--conv-samples", type=int, default=4000)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs per model and side; the fastest counts")
    parser.add_argument("--gemm", type=int, default=1024)
    parser.add_argument("--python-mallopt", action="store_true",
                        help="give Python the engine's malloc thresholds")
    args = parser.parse_args()

    # As the engine does before LibTorch loads; OpenBLAS reads it once.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.threads))
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    if args.python_mallopt:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 << 20)   # M_MMAP_THRESHOLD
        libc.mallopt(-1, 256 << 20)  # M_TRIM_THRESHOLD
    sys.path.insert(0, str(REPO / "tests" / "engine"))
    import torch  # noqa: E402 (after the environment above)
    import torch_reference as ref  # noqa: E402
    torch.set_num_threads(args.threads)

    print(f"threads {args.threads}, batch {args.batch}, SGD, MSE, one epoch; "
          f"MLPs {args.samples} samples, conv nets {args.conv_samples}; "
          f"fastest of {args.repeats} runs after {WARMUP} warm-up batches; "
          f"Python malloc {'tuned' if args.python_mallopt else 'default'}")
    print("CPU seconds of each loop (the machine may be shared; with one "
          "thread CPU time is the work), denormals flushed on both sides; "
          "then wall-time ratios; then the training ratio against Python's "
          "default (denormals kept)")
    print(f"{'model':<13} {'train C++':>9} {'Python':>7} {'C++/Py':>6} "
          f"{'infer C++':>9} {'Python':>7} {'C++/Py':>6} "
          f"{'overhead C++/Py':>15} | {'wall train':>10} {'wall infer':>10} "
          f"| {'train vs Py default':>12}")
    worst = 0.0
    for label, model, kind in MODELS:
        samples = args.conv_samples if kind == "conv" else args.samples
        best = {}  # the fastest of the repeats, per side and loop
        for _ in range(args.repeats):
            got = ref.run_driver(args.driver, [
                "--model", model, "--samples", str(samples),
                "--batch", str(args.batch), "--threads", str(args.threads),
                "--warmup-batches", str(WARMUP), "--no-losses"])
            x, y = ref.synthetic(got, "regression", samples, 0, 42)
            torch.manual_seed(42)
            module = ref.build(got["layers"])
            per_epoch = got["batches_per_epoch"]
            # The engine flushes denormals to zero; Python does the same
            # here, and trains once more with its default to show the gap.
            torch.set_flush_denormal(False)
            _, py_default_cpu, _ = ref.train(
                ref.build(got["layers"]), x, y, batch=args.batch,
                batches=per_epoch, lr=0.01)
            torch.set_flush_denormal(True)
            # Warm like the engine: kernels set up, buffers allocated.
            ref.train(module, x, y, batch=args.batch, batches=WARMUP, lr=0.01)
            ref.infer(module, x, batch=args.batch, batches=WARMUP)
            py_train, py_train_cpu, _ = ref.train(
                module, x, y, batch=args.batch, batches=per_epoch, lr=0.01)
            py_infer, py_infer_cpu = ref.infer(module, x, batch=args.batch,
                                               batches=per_epoch)
            times = {
                "c_train": got["train"]["seconds"],
                "c_infer": got["infer"]["seconds"],
                "c_train_cpu": got["train"]["cpu_seconds"],
                "c_infer_cpu": got["infer"]["cpu_seconds"],
                "py_train": py_train, "py_infer": py_infer,
                "py_train_cpu": py_train_cpu, "py_infer_cpu": py_infer_cpu,
                "py_default_cpu": py_default_cpu}
            for key, value in times.items():
                best[key] = min(best.get(key, value), value)
        b = best
        worst = max(worst, b["c_train_cpu"] / b["py_train_cpu"])
        print(f"{label:<13} {b['c_train_cpu']:9.3f} {b['py_train_cpu']:7.3f} "
              f"{b['c_train_cpu'] / b['py_train_cpu']:6.2f} "
              f"{b['c_infer_cpu']:9.3f} {b['py_infer_cpu']:7.3f} "
              f"{b['c_infer_cpu'] / b['py_infer_cpu']:6.2f} "
              f"{1 - b['c_infer_cpu'] / b['c_train_cpu']:7.2f} / "
              f"{1 - b['py_infer_cpu'] / b['py_train_cpu']:5.2f} | "
              f"{b['c_train'] / b['py_train']:10.2f} "
              f"{b['c_infer'] / b['py_infer']:10.2f} | "
              f"{b['c_train_cpu'] / b['py_default_cpu']:12.2f}")
    print(f"worst training ratio C++/Python (CPU time): {worst:.2f} "
          "(goal <= 0.80)")

    n, reps = args.gemm, 20
    got = ref.run_driver(args.driver, [
        "--gemm", str(n), "--train-batches", "0", "--infer-batches",
        str(reps), "--threads", str(args.threads)])
    flops = 2.0 * n ** 3 * reps
    engine_gflops = flops / got["infer"]["cpu_seconds"] / 1e9
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    import time  # noqa: E402
    start = time.process_time()
    for _ in range(reps):
        torch.mm(a, b)
    py_gflops = flops / (time.process_time() - start) / 1e9
    peak, ghz, how, avx512 = avx2_peak_gflops(args.threads)
    print(f"GEMM {n}x{n} float32 (per CPU second), {args.threads} "
          f"thread(s): engine "
          f"{engine_gflops:.1f} GFLOP/s, Python {py_gflops:.1f} GFLOP/s; "
          f"AVX2 peak {peak:.1f} GFLOP/s ({args.threads} core(s) x "
          f"{ghz:.2f} GHz ({how}) x 32 FLOP/cycle) -> engine at "
          f"{100 * engine_gflops / peak:.0f} % of it")
    if avx512:
        print(f"  this CPU has AVX-512, which OpenBLAS uses: its peak is "
              f"twice that, {2 * peak:.1f} GFLOP/s -> engine at "
              f"{50 * engine_gflops / peak:.0f} %")
    print(f"engine: {got['engine']}")


if __name__ == "__main__":
    main()
