"""Speed and peak memory of our Dawid-Skene and GLAD vs crowd-kit's DS on synthetic answers.

    python bench/aggregation_speed.py [--answers 1000000] [--repeat 2]
        [--crowdkit-glad]

Run with the interpreter of the bench environment (bash bench/setup_bench_env.sh); both sides'
subprocesses start from that same interpreter.

Synthetic data (seeded): tasks x 5 answers, workers = tasks / 40 of mixed reliability (good,
mediocre, spammers answering uniformly at random), 4 classes. Each side runs in its own
subprocess so peak RSS (ru_maxrss, includes interpreter + imports + data) does not mix, and
fits ``--repeat`` times (same data); the fastest fit counts for both sides, so a burst of other
load on the machine disturbs the comparison less.
crowd-kit GLAD is skipped by default at 1M answers (over 20 minutes); --crowdkit-glad runs it.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import resource
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
PER_TASK = 5
CLASSES = 4


def synthetic(n_answers: int, seed: int = 0):
    import numpy as np

    rng = np.random.default_rng(seed)
    n_tasks = n_answers // PER_TASK
    n_workers = max(n_tasks // 40, 10)
    truth = rng.integers(0, CLASSES, n_tasks)
    kind = rng.choice(3, n_workers, p=[0.5, 0.3, 0.2])  # good, mediocre, spammer
    good = rng.uniform(0.8, 0.95, n_workers)  # drawn first, then mediocre: keeps the seeded data
    mediocre = np.where(kind == 1, rng.uniform(0.5, 0.7, n_workers), 1.0 / CLASSES)
    accuracy = np.where(kind == 0, good, mediocre)
    task = np.repeat(np.arange(n_tasks), PER_TASK)
    # PER_TASK distinct workers per task: a random start plus distinct offsets.
    offsets = np.stack([rng.permutation(n_workers - 1)[:PER_TASK] + 1 for _ in range(1)])[0]
    worker = (rng.integers(0, n_workers, n_tasks)[:, None] + offsets[None, :]) % n_workers
    worker = worker.reshape(-1)
    right = rng.random(task.shape[0]) < accuracy[worker]
    wrong = (truth[task] + rng.integers(1, CLASSES, task.shape[0])) % CLASSES
    label = np.where(right, truth[task], wrong)
    return (
        task.astype(np.int32),
        worker.astype(np.int32),
        label.astype(np.int32),
        n_tasks,
        n_workers,
        truth,
    )


def fit_once(side: str, task, worker, label, n_tasks: int, n_workers: int):
    """Labels from one fit, and the seconds it took (the data frame build is not timed)."""
    if side in ("ds", "glad"):
        from marketplace.aggregation import METHODS

        started = time.perf_counter()
        result = METHODS[side](task, worker, label, n_tasks=n_tasks, n_workers=n_workers,
                               n_labels=CLASSES)  # fmt: skip
        return result.labels, time.perf_counter() - started
    import pandas as pd
    from crowdkit.aggregation import GLAD, DawidSkene

    frame = pd.DataFrame({"task": task, "worker": worker, "label": label})
    started = time.perf_counter()
    model = DawidSkene() if side == "crowdkit_ds" else GLAD()
    predicted = model.fit_predict(frame)
    seconds = time.perf_counter() - started
    return predicted.reindex(range(n_tasks)).to_numpy(), seconds


def child(side: str, n_answers: int, repeat: int) -> None:
    sys.path.insert(0, str(REPO))
    task, worker, label, n_tasks, n_workers, truth = synthetic(n_answers)
    runs = [fit_once(side, task, worker, label, n_tasks, n_workers) for _ in range(repeat)]
    labels = runs[0][0]
    seconds = min(run[1] for run in runs)  # best of ``repeat``: least disturbed by other load
    accuracy = float((labels == truth).mean())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_mb, "accuracy": accuracy}))


def run(side: str, n_answers: int, repeat: int) -> dict:
    command = [sys.executable, __file__, "--child", side, "--answers", str(n_answers),
               "--repeat", str(repeat)]  # fmt: skip
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--child")
    parser.add_argument("--crowdkit-glad", action="store_true")
    parser.add_argument("--no-crowdkit", action="store_true")
    parser.add_argument("--repeat", type=int, default=2, help="fits per side; the best counts")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.answers, args.repeat)
        return
    ds = run("ds", args.answers, args.repeat)
    glad = run("glad", args.answers, args.repeat)
    print(f"ours ds: {ds}\nours glad: {glad}", flush=True)
    nan = {"seconds": float("nan"), "peak_rss_mb": float("nan"), "accuracy": float("nan")}
    ck_ds = nan if args.no_crowdkit else run("crowdkit_ds", args.answers, args.repeat)
    print(f"crowd-kit ds: {ck_ds}", flush=True)
    ck_glad = "skipped"
    if args.crowdkit_glad and not args.no_crowdkit:
        ck_glad = f"{run('crowdkit_glad', args.answers, 1)['seconds']:.1f}"
    print(
        f"aggregation_speed: answers={args.answers} ds_s={ds['seconds']:.2f} "
        f"crowdkit_ds_s={ck_ds['seconds']:.2f} ds_ratio={ck_ds['seconds'] / ds['seconds']:.1f} "
        f"glad_s={glad['seconds']:.2f} crowdkit_glad_s={ck_glad} "
        f"peak_rss_mb={ds['peak_rss_mb']:.0f} crowdkit_peak_rss_mb={ck_ds['peak_rss_mb']:.0f} "
        f"ds_accuracy={ds['accuracy']:.4f} crowdkit_ds_accuracy={ck_ds['accuracy']:.4f} "
        f"glad_accuracy={glad['accuracy']:.4f}"
    )


if __name__ == "__main__":
    main()
