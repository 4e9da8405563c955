"""`python -m bench [--quick] [--only lego,milk,chair,presets,raster,formats,faces,faceid]`: runs the benchmarks,
each in a fresh process (its peak memory is its own, and no thread setting or cache carries over), and prints one table
per benchmark as it finishes, then the summary lines. Exits 1 if a benchmark raised."""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import sys
import traceback
from concurrent.futures import ProcessPoolExecutor

from .report import Stopwatch, format_result, run_benchmark

BENCHMARKS = ("lego", "milk", "chair", "presets", "raster", "formats", "faces", "faceid", "studio")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs (a few minutes in all)")
    parser.add_argument("--only", default=",".join(BENCHMARKS),
                        help=f"comma-separated benchmarks to run, of: {', '.join(BENCHMARKS)}")
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")

    import torch

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"Atlas benchmarks{' (quick)' if args.quick else ''}: {platform.machine()} {platform.system()}, "
          f"{cores} CPU cores, torch {torch.__version__} with {torch.get_num_threads()} threads, "
          f"CUDA {'available' if torch.cuda.is_available() else 'not available'}, "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '')}", flush=True)

    clock = Stopwatch()
    summaries, failed = [], []
    context = multiprocessing.get_context("spawn")
    for name in names:
        print(flush=True)
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            try:
                result = pool.submit(run_benchmark, name, args.quick).result()
            except Exception as error:
                failed.append(name)
                print(f"== {name}: FAILED ==", flush=True)
                print("".join(traceback.format_exception(error)).rstrip(), flush=True)
                continue
        print(format_result(result), flush=True)
        if result.summary:
            summaries.append(result.summary)

    print()
    for line in summaries:
        print(line)
    if failed:
        print(f"failed: {', '.join(failed)}")
    print(f"bench finished in {clock.total:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
