"""Categorical (and pairwise: a/b/tie per comparison) answers -> ``marketplace.aggregation``.

Scale: a project with 1,000,000 answers streams ``(task, worker, label)`` through a server-side
cursor into numpy arrays (never a model instance per answer).
"""

from __future__ import annotations

import json
import logging
import time

import numpy as np
from django.db.models.expressions import RawSQL

from marketplace.aggregation import EncodedAnswers, aggregate
from marketplace.aggregation.overlap import margin_confidence, vote_margin
from marketplace.models import Project, Task
from marketplace.services.aggregation_labels import READ_CHUNK, Labels, chunks, counted_answers

logger = logging.getLogger("marketplace.services.aggregation")


def _vocabulary(project: Project) -> list[str]:
    if project.template_type == "pairwise":
        return ["a", "b", "tie"] if project.label_config.get("allow_tie") else ["a", "b"]
    return [str(label["value"]) for label in project.label_config.get("labels", [])]


def _load(project: Project) -> tuple[EncodedAnswers, np.ndarray] | None:
    """The project's counted answers and gold as an :class:`EncodedAnswers`, plus a boolean per
    answer: is it an answer to a gold task? None without answers."""
    label_index = {label: i for i, label in enumerate(_vocabulary(project))}
    rows = (
        counted_answers(project.pk)
        .annotate(label=RawSQL("answer #>> '{}'", ()))
        .values_list("task_id", "worker_id", "label", "is_gold")
        .iterator(chunk_size=READ_CHUNK)
    )
    tasks, workers, given, gold_flags = [], [], [], []
    for chunk in chunks(rows, READ_CHUNK):
        task_ids, worker_ids, labels, is_gold = zip(*chunk, strict=True)
        tasks.append(np.fromiter(task_ids, dtype=np.int64, count=len(chunk)))
        workers.append(np.fromiter(worker_ids, dtype=np.int64, count=len(chunk)))
        # A label outside the config (the config changed after answers came in) joins the
        # vocabulary rather than being dropped.
        given.append(
            np.fromiter(
                (label_index.setdefault(label, len(label_index)) for label in labels),
                dtype=np.int32,
                count=len(chunk),
            )
        )
        gold_flags.append(np.fromiter(is_gold, dtype=bool, count=len(chunk)))
    if not tasks:
        return None
    task_col, worker_col = np.concatenate(tasks), np.concatenate(workers)
    label_col, gold_col = np.concatenate(given), np.concatenate(gold_flags)
    del tasks, workers, given, gold_flags
    task_ids, task_idx = np.unique(task_col, return_inverse=True)
    worker_ids, worker_idx = np.unique(worker_col, return_inverse=True)
    gold = {}
    gold_tasks = Task.objects.filter(project_id=project.pk, is_gold=True)
    gold_rows = (
        gold_tasks.annotate(label=RawSQL("gold_answer #>> '{}'", ()))
        .values_list("id", "label")
        .iterator(chunk_size=READ_CHUNK)
    )
    for task_id, label in gold_rows:
        position = int(np.searchsorted(task_ids, task_id))
        if position < len(task_ids) and task_ids[position] == task_id:
            gold[position] = label_index.setdefault(label, len(label_index))
    encoded = EncodedAnswers(
        task_idx=task_idx.astype(np.int32),
        worker_idx=worker_idx.astype(np.int32),
        label_idx=label_col,
        tasks=task_ids.tolist(),
        workers=worker_ids.tolist(),
        labels=list(label_index),
        gold=gold,
    )
    return encoded, gold_col


def aggregate_categorical(project: Project, method: str) -> Labels:
    """Final label, confidence and vote-margin confidence per task; worker agreement/skill."""
    loaded = _load(project)
    if loaded is None:
        return Labels.empty()
    encoded, gold_col = loaded
    started = time.monotonic()
    result = aggregate(method, encoded, seed=0)
    logger.info(
        "Project %s: %s answers aggregated with %s in %.2f s",
        project.pk,
        encoded.n_answers,
        method,
        time.monotonic() - started,
    )
    task_idx, worker_idx, label_col = encoded.task_idx, encoded.worker_idx, encoded.label_idx
    n_workers = encoded.n_workers
    labels_json = [json.dumps(label) for label in encoded.labels]
    # Agreement: the share of a worker's regular answers equal to their task's final label.
    regular = ~gold_col
    matches = (result.labels[task_idx] == label_col) & regular
    answered = np.bincount(worker_idx, weights=regular, minlength=n_workers)
    agreed = np.bincount(worker_idx, weights=matches, minlength=n_workers)
    agreement = {
        int(worker_id): float(agreed[i] / answered[i])
        for i, worker_id in enumerate(encoded.workers)
        if answered[i]
    }
    skill = {
        int(worker_id): float(result.worker_accuracy[i])
        for i, worker_id in enumerate(encoded.workers)
        if np.isfinite(result.worker_accuracy[i])
    }
    margin = vote_margin(task_idx, label_col, n_tasks=encoded.n_tasks, n_labels=encoded.n_labels)
    return Labels(
        task_ids=list(encoded.tasks),
        labels_json=[labels_json[label] for label in result.labels],
        confidence=[round(float(value), 6) for value in result.confidence],
        stop_confidence=margin_confidence(margin).tolist(),
        answers=encoded.n_answers,
        agreement=agreement,
        skill=skill,
    )
