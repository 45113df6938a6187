"""Accuracy on gold of our aggregation methods vs crowd-kit 1.4.2, on the ten shared data sets.

Run in the bench environment (crowd-kit is imported lazily, only here):
    bash bench/setup_bench_env.sh
    .venv-bench/bin/python bench/aggregation_accuracy.py [--datasets ../shared/datasets]
        [--only NAME ...] [--no-crowdkit]

Prints one row per data set (ours/crowd-kit per method, crowd-kit's ZeroBasedSkill and its best
method on that set), the pairs where ours is more than 0.5 points below crowd-kit's same
method, then
    gold_aware: ...            reveal a seeded 10% of gold tasks, score the other 90%
    aggregation_accuracy: ...  the summary line
``crowdkit_best_mean`` is the mean over data sets of the best crowd-kit method measured in this
run (the README's reference table is printed next to it for comparison).
"""

from __future__ import annotations

import argparse
import pathlib
import random
import time
import warnings

from _datasets import CROWDKIT_BEST, NAMES, accuracy, default_root, load

from marketplace.aggregation import DEFAULT_METHOD, METHODS, aggregate, encode_answers

PAIRS = {"mv": "MajorityVote", "wmv": "Wawa", "ds": "DawidSkene", "onecoin": "OneCoinDawidSkene",
         "glad": "GLAD", "mace": "MACE"}  # fmt: skip
CROWDKIT_ONLY = "ZeroBasedSkill"
TOLERANCE = 0.005
GOLD_SHARE = 0.10


def ours(answers, gold=None, method=DEFAULT_METHOD, seed=0) -> dict[str, str]:
    encoded = encode_answers(answers, gold=gold)
    result = aggregate(method, encoded, seed=seed)
    return {task: label for task, label, _ in result.decode(encoded)}


def crowdkit(answers, name, gold=None) -> dict[str, str]:
    import pandas as pd
    from crowdkit import aggregation

    frame = pd.DataFrame(answers, columns=["task", "worker", "label"])
    model = getattr(aggregation, name)()
    if gold is not None:
        model.fit(frame, pd.Series(gold))
        labels = model.labels_
    else:
        labels = model.fit_predict(frame)
    return {str(t): str(v) for t, v in labels.items()}


def split_gold(gold: dict[str, str], seed: int = 0) -> tuple[dict[str, str], list[str]]:
    """A seeded random GOLD_SHARE of the gold tasks to reveal, and the rest to score on."""
    tasks = sorted(gold)
    random.Random(seed).shuffle(tasks)
    cut = max(1, int(len(tasks) * GOLD_SHARE))
    return {t: gold[t] for t in tasks[:cut]}, tasks[cut:]


def mean(values) -> float:
    return sum(values) / len(values) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", type=pathlib.Path, default=default_root())
    parser.add_argument("--no-crowdkit", action="store_true")
    parser.add_argument("--only", nargs="*", default=NAMES)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    with_ck = not args.no_crowdkit
    methods = list(METHODS)
    print(f"{'data set':12s} " + " ".join(f"{m:>13s}" for m in methods) + "   ck-ZBS  ck-best")
    print(f"{'':12s} " + " ".join(f"{'ours/ck':>13s}" for _ in methods), flush=True)
    per_method = {m: [] for m in methods}
    ck_best, below, seconds = [], [], {m: 0.0 for m in methods}
    gold_ours, gold_ours_blind, gold_ck, gold_ck_true = [], [], [], []
    for name in args.only:
        answers, gold = load(args.datasets, name)
        cells, scores = [], {}
        for method in methods:
            started = time.perf_counter()
            mine = accuracy(ours(answers, method=method), gold)
            seconds[method] += time.perf_counter() - started
            per_method[method].append(mine)
            theirs = float("nan")
            if with_ck:
                theirs = accuracy(crowdkit(answers, PAIRS[method]), gold)
                scores[PAIRS[method]] = theirs
                if mine < theirs - TOLERANCE:
                    below.append(f"{name}/{method} ours={mine:.4f} crowdkit={theirs:.4f}")
            cells.append(f"{mine:.3f}/{theirs:.3f}")
        zbs = float("nan")
        if with_ck:
            zbs = scores[CROWDKIT_ONLY] = accuracy(crowdkit(answers, CROWDKIT_ONLY), gold)
            best_name = max(scores, key=scores.get)
            ck_best.append(scores[best_name])
        best = f"{max(scores.values()):.3f} {best_name}" if with_ck else "n/a"
        print(f"{name:12s} " + " ".join(f"{c:>13s}" for c in cells) + f"   {zbs:.3f}  {best}",
              flush=True)  # fmt: skip

        # Gold-aware protocol: reveal a seeded 10% of the gold tasks, score the other 90%.
        revealed, hidden = split_gold(gold)
        gold_ours.append(accuracy(ours(answers, gold=revealed), gold, hidden))
        gold_ours_blind.append(accuracy(ours(answers), gold, hidden))
        if with_ck:
            gold_ck.append(accuracy(crowdkit(answers, "DawidSkene"), gold, hidden))
            gold_ck_true.append(accuracy(crowdkit(answers, "DawidSkene", revealed), gold, hidden))

    print("ours mean per method: " + " ".join(f"{m}={mean(per_method[m]):.4f}" for m in methods))
    print("ours seconds per method (all data sets): "
          + " ".join(f"{m}={seconds[m]:.1f}" for m in methods))  # fmt: skip
    for item in below:
        print(f"below crowd-kit same method by >{TOLERANCE}: {item}")
    readme_best = mean([CROWDKIT_BEST[n] for n in args.only])
    print(
        f"gold_aware: ours={mean(gold_ours):.4f} crowdkit={mean(gold_ck):.4f} "
        f"ours_without_gold={mean(gold_ours_blind):.4f} "
        f"crowdkit_ds_with_gold={mean(gold_ck_true):.4f} "
        f"(reveal {GOLD_SHARE:.0%} of gold tasks, seed 0, score the other 90%; "
        f"ours={DEFAULT_METHOD}+gold, crowdkit=DawidSkene without gold)"
    )
    print(
        f"aggregation_accuracy: datasets={len(args.only)} default={DEFAULT_METHOD} "
        f"ours_default_mean={mean(per_method[DEFAULT_METHOD]):.4f} "
        f"crowdkit_best_mean={mean(ck_best):.4f} "
        f"below_crowdkit_same_method={len(below) if with_ck else 'n/a'} "
        f"(README crowdkit_best_mean={readme_best:.4f})"
    )


if __name__ == "__main__":
    main()
