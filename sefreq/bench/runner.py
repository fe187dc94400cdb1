"""Run models over protocols and folds, merge the scores, and write the result tables.

``benchmarks/results.csv`` holds one row per protocol x model x fold x metric; a run
replaces only the rows of the (protocol, model) pairs it ran, so the tables can be built
up one model at a time. ``benchmarks/results.md`` is rendered from the whole CSV: one
table per protocol, mean ± std over folds, the margin over the prevalence baseline, and
the published numbers of docs/SCIENCE.md in the same table.
"""

from __future__ import annotations

import math
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from sefreq.bench.interface import BenchModel, EvalView, Prediction
from sefreq.bench.protocols import (
    PROTOCOLS,
    BenchData,
    has_unstated_labels,
    is_cold,
    iter_folds,
    load_or_make_assignment,
    protocol_data,
    sider_conditions,
    split_condition,
)
from sefreq.bench.registry import make_model

CSV_COLUMNS = (
    "protocol",
    "model",
    "fold",
    "metric",
    "value",
    "seed",
    "n_folds",
    "n_pool_drugs",
    "n_excluded_no_structure",
    "wall_s",
    "commit",
    "date",
    "command",
)

#: RMSE and MAE: lower is better (every other key metric, higher).
LOWER_IS_BETTER = frozenset({"rmse", "mae"})


@dataclass(frozen=True)
class RunInfo:
    """Provenance stamped on every row a run writes."""

    command: str
    commit: str
    date: str


def git_commit(directory: Path | None = None) -> str:
    """``git rev-parse --short HEAD`` of the source tree, ``+dirty`` when it has changes."""
    cwd = directory or Path(__file__).resolve().parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        # Uncommitted or untracked code of the package means HEAD alone did not make the run.
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", str(Path(__file__).resolve().parents[1])],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}+dirty" if dirty else head  # fmt: skip


def load_bench_data() -> BenchData:
    """The benchmark's view of ``sefreq.load_dataset()`` (needs the upstream data)."""
    from sefreq.data import load_dataset

    return BenchData.from_dataset(load_dataset())


def check_prediction(prediction: Prediction, view: EvalView, model: str) -> None:
    """Fail loudly when a model returns the wrong shape or non-finite values."""
    expected = view.frequency.shape
    for name in ("association", "frequency"):
        values = np.asarray(getattr(prediction, name))
        if values.shape != expected:
            raise ValueError(f"{model}: prediction.{name} is {values.shape}, expected {expected}")
        if not np.isfinite(values[view.mask]).all():
            raise ValueError(f"{model}: prediction.{name} holds NaN or inf on scored cells")


def skip_reason(model: BenchModel, data: BenchData, protocol: str) -> str | None:
    """Why ``model`` cannot be fitted and scored on ``protocol``, or None when it can: a
    full run (``sefreq bench --quick`` too) then goes on with the other models."""
    if is_cold(protocol) and not model.structure_only:
        return "it cannot score a drug from structure alone"
    if getattr(model, "stated_classes_only", False) and has_unstated_labels(data, protocol):
        return (
            "it reads every reported cell as a frequency class, and this protocol trains on "
            "side effects SIDER lists without one"
        )
    return None


def run_benchmark(
    data: BenchData,
    protocols: Sequence[str],
    models: Sequence[str],
    *,
    folds: int | None = None,
    seed: int = 0,
    quick: bool = False,
    folds_dir: Path | None = None,
    refresh_folds: bool = False,
    progress: bool = True,
    info: RunInfo | None = None,
) -> pd.DataFrame:
    """Fit and score every model on the first ``folds`` folds of every protocol.

    A model that cannot run on a protocol (:func:`skip_reason`) is skipped with one line
    saying why. Returns the long table (columns :data:`CSV_COLUMNS`).
    """
    from tqdm.auto import tqdm

    from sefreq.bench.scoring import score

    info = info or RunInfo(command="(python)", commit=git_commit(), date=now_utc())
    plan = []
    for protocol in protocols:
        base, _ = split_condition(protocol)
        n_folds = PROTOCOLS[base].n_folds
        n = n_folds if folds is None else min(folds, n_folds)
        for key in models:
            reason = skip_reason(make_model(key, seed=seed, quick=quick), data, protocol)
            if reason:
                print(f"skip {key} on {protocol}: {reason}")
                continue
            plan.append((protocol, key, n))
    bar = tqdm(total=sum(n for *_, n in plan), disable=not progress, unit="fold")
    records: list[dict] = []
    assignments: dict[str, object] = {}
    for protocol, key, n in plan:
        base, with_sider = split_condition(protocol)
        world = protocol_data(data, base)
        if base not in assignments:  # ICS+sider has ICS's folds
            assignments[base] = load_or_make_assignment(
                data, base, seed, folds_dir, refresh=refresh_folds
            )
        assignment = assignments[base]
        start = time.perf_counter()
        rows = []
        for fold in iter_folds(data, assignment, n, with_sider):
            bar.set_description(f"{protocol} {key} fold {fold.index + 1}/{n}")
            model = make_model(key, seed=seed + fold.index, quick=quick)
            fit_start = time.perf_counter()
            model.fit(fold.train, fold.validation)
            fit_seconds = time.perf_counter() - fit_start
            prediction = model.predict(fold.test.query)
            check_prediction(prediction, fold.test, key)
            metrics = score(fold.test, prediction, base)
            metrics["fit_seconds"] = fit_seconds
            rows.extend((fold.index, name, value) for name, value in metrics.items())
            bar.update(1)
        wall = time.perf_counter() - start
        records.extend(
            dict(
                protocol=protocol, model=key, fold=fold_index, metric=name, value=value,
                seed=seed, n_folds=n, n_pool_drugs=len(world.pool_ids),
                n_excluded_no_structure=world.n_excluded_no_structure, wall_s=round(wall, 1),
                commit=info.commit, date=info.date, command=info.command,
            )
            for fold_index, name, value in rows
        )  # fmt: skip
    bar.close()
    return pd.DataFrame.from_records(records, columns=list(CSV_COLUMNS))


def merge_results(new: pd.DataFrame, csv_path: Path) -> pd.DataFrame:
    """Replace the (protocol, model) pairs of ``new`` in the CSV at ``csv_path``; write it."""
    csv_path = Path(csv_path)
    if csv_path.exists():
        old = pd.read_csv(csv_path)
        ran = set(zip(new["protocol"], new["model"], strict=True))
        keep = [(p, m) not in ran for p, m in zip(old["protocol"], old["model"], strict=True)]
        merged = pd.concat([old[keep], new], ignore_index=True)
    else:
        merged = new.copy()
    order = {p: i for i, p in enumerate(section_order())}
    merged = merged.sort_values(
        ["protocol", "model", "fold", "metric"],
        key=lambda c: c.map(order) if c.name == "protocol" else c,
        kind="stable",
    )
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    merged.to_csv(csv_path, index=False)
    return merged


SIDER_NOTE = (
    "The same folds, validation and test cells as without them; every fold's training side "
    "also holds SIDER's drugs beyond the 759 that have a structure (their side effects; a "
    "class where a label states a frequency, association only where none does), minus any "
    "that shares a parent skeleton or a name with a held-out drug of the fold (cold "
    "protocols: a validation or test drug; warm ones: any benchmark drug). M10 and H5 "
    "train on the positives plus as many random zeros, and so do the extra drugs."
)


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Mean, std and fold count per protocol x model x metric."""
    grouped = results.groupby(["protocol", "model", "metric"], sort=False)["value"]
    return grouped.agg(mean="mean", std="std", n="count").reset_index()


def _fmt(mean: float, std: float, n: int) -> str:
    if math.isnan(mean):
        return "n/a"
    if n > 1 and not math.isnan(std):
        return f"{mean:.3f} ± {std:.3f}"
    return f"{mean:.3f}"


def render_markdown(results: pd.DataFrame, title: str = "SEFreq benchmark results") -> str:
    """The results tables as Markdown, one section per protocol present in ``results``."""
    summary = summarise(results)
    lines = [
        f"# {title}",
        "",
        "Written by `sefreq bench` from `results.csv` (one row per protocol x model x fold x "
        "metric). Mean ± standard deviation over folds; in brackets the margin over the "
        "prevalence baseline (positive = better; for RMSE/MAE, lower is better so the margin "
        "is prevalence minus model). Published numbers come from docs/SCIENCE.md and were "
        "measured by their authors under the same protocol name; ours select models on a "
        "validation part of the training folds only. Protocols differ: never compare "
        "numbers across tables.",
        "",
        BASELINE_NOTES,
        "",
        MODEL_NOTES,
        "",
    ]
    for protocol in section_order():
        part = results[results["protocol"] == protocol]
        if part.empty:
            continue
        lines.extend(_protocol_section(protocol, part, summary[summary["protocol"] == protocol]))
        base, with_sider = split_condition(protocol)
        if with_sider:
            lines.extend(paired_comparison(results, base, protocol))
        lines.extend(paired_against(part, REFERENCE_MODEL))
    return "\n".join(lines).rstrip() + "\n"


#: The baseline a user would build in an afternoon: every model's margin over it, by fold.
REFERENCE_MODEL = "knn-listed"


def paired_against(part: pd.DataFrame, reference: str) -> list[str]:
    """Per model, the mean per-fold difference model - ``reference`` on one protocol's
    folds, ± its standard error, and on how many folds the model is better. Nothing when
    ``reference`` did not run on this protocol."""
    if reference not in set(part["model"]):
        return []
    base = split_condition(str(part["protocol"].iloc[0]))[0]
    metrics = PROTOCOLS[base].key_metrics
    lines = [
        f"Paired by fold, each model minus `{reference}` (mean ± standard error; better on "
        "k of n folds):",
        "",
        "| model | " + " | ".join(metrics) + " |",
        "|---|" + "---|" * len(metrics),
    ]
    for model in dict.fromkeys(part["model"]):
        if model == reference:
            continue
        cells = []
        for metric in metrics:
            rows = part[part["metric"] == metric]
            wide = rows.pivot_table(index="fold", columns="model", values="value")
            if model not in wide or reference not in wide:
                cells.append("")
                continue
            diff = (wide[model] - wide[reference]).dropna()
            if diff.empty:
                cells.append("")
                continue
            better = (diff < 0) if metric in LOWER_IS_BETTER else (diff > 0)
            error = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else float("nan")
            cells.append(f"{diff.mean():+.3f} ± {error:.3f} ({int(better.sum())}/{len(diff)})")
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def section_order() -> tuple[str, ...]:
    """The tables of results.md in order: the protocols', each ``+sider`` table right after
    its 759-only one."""
    extended = sider_conditions()
    return tuple(
        name
        for base in PROTOCOLS
        for name in (base, *(e for e in extended if e.startswith(base + "+")))
    )


def paired_comparison(results: pd.DataFrame, base: str, extended: str) -> list[str]:
    """Per model, the mean per-fold difference ``extended`` - ``base`` on the same test
    drugs, and on how many folds ``extended`` is better."""
    metrics = PROTOCOLS[base].key_metrics
    lines = [
        f"Paired by fold, {extended} minus {base} (same test drugs; better on k of n folds):",
        "",
        "| model | " + " | ".join(metrics) + " |",
        "|---|" + "---|" * len(metrics),
    ]
    both = results[results["protocol"].isin([base, extended])]
    for model in dict.fromkeys(both.loc[both["protocol"] == extended, "model"]):
        rows = both[both["model"] == model]
        cells = []
        for metric in metrics:
            wide = rows[rows["metric"] == metric].pivot_table(
                index="fold", columns="protocol", values="value"
            )
            if base not in wide or extended not in wide:
                cells.append("")
                continue
            diff = (wide[extended] - wide[base]).dropna()
            better = (diff < 0) if metric in LOWER_IS_BETTER else (diff > 0)
            cells.append(f"{diff.mean():+.3f} ({int(better.sum())}/{len(diff)})")
        if any(cells):
            lines.append(f"| {model} | " + " | ".join(cells) + " |")
    return [*lines, ""]


BASELINE_NOTES = (
    "Baselines (sefreq/bench/models/baselines.py): **prevalence** gives every drug each side "
    "effect's share of positives among the training label cells and their mean class; "
    "**wnmf** is Galeano et al.'s weighted NMF (rank 10, weight 1 on known entries and 0.05 "
    "on every other cell, multiplicative updates, tolerance 1e-3, at most 2,000 iterations; "
    "score W H, clipped to [1, 5] as frequency; warm protocols only). Held-out entries are "
    "zeros in its training matrix, so their scores are pulled down: strong rankings, weak "
    "RMSE. **knn**: similarity-weighted mean over the k most Tanimoto-similar training drugs "
    "(Morgan r=2, 2048 bits) of their labels, k in {5, 10, 20, 40, 80} chosen on validation "
    "AUPR; in warm protocols a drug is never its own neighbour. In M10 and H5 it only sees "
    "its neighbours' labelled (sampled) cells, which is thin evidence. **mlp**: two "
    "single-task MLPs on Morgan bits (one hidden layer of 512, dropout 0.3, Adam), BCE on "
    "label cells for association and MSE on positives for frequency, output biases started "
    "at the prevalence baseline, epochs by early stopping on the validation loss. "
    "**knn-listed** (sefreq/bench/models/listing_knn.py), the baseline a user would build: "
    "the k most Tanimoto-similar training drugs (Morgan r=2, 2048 bits) weighted by "
    "similarity to a power, their mean listing shrunk toward the prevalence, k in {5, 10, "
    "20, 40}, power in {1, 2, 3} and shrinkage in {0.05, 0.15, 0.3} chosen on validation "
    "(per-drug AUPR + AUPR); frequency the neighbours' mean stated class. **knn-targets**: "
    "the same over the Jaccard similarity of known human proteins (DrugBank, DrugCentral), "
    "a drug without any falling back to knn-listed."
)


MODEL_NOTES = (
    "**kernel** (sefreq/bench/models/kernel.py): the labels of every training drug weighted by a "
    "five-fingerprint similarity, shrunk to the prevalence, plus kernel ridge and "
    "co-reporting smoothing; settings chosen on validation, then refitted with the "
    "validation drugs. SEFreq's own rows (sefreq/bench/models/sefreq_net.py, docs/MODEL.md; "
    "3-member ensembles per fold): `sefreq_single_task`, `sefreq_symmetric`, "
    "`sefreq_asym_i` and `sefreq_asym_i_ii` are the ablation variants, with a Morgan kNN "
    "prior; `_kernel` puts the kNN prior on the five-fingerprint similarity, "
    "`_kernel_select` chooses its (k, power) on validation, `_kernel_pool` also adds the "
    "validation drugs to the reference set (cold protocols), and "
    "`sefreq_asym_i_ii_smoothed`, the recipe shipped until 2.0 (registry alias `sefreq`), "
    "replaces the kNN prior with the kernel baseline's smoothing. `sefreq-mechanism`, the "
    "recipe shipped from 2.0, adds the mechanism view (sefreq/model/mechanism.py): "
    "networks learn proteins and ATC classes from structure on the fold's mechanism task "
    "(its held-out compounds taken out), the listing head reads that profile and the "
    "prior's similarity mixes it in; a test drug reads its predicted mechanism (structure "
    "only). `sefreq-known` is the same fitted model, a test drug with known proteins or "
    "ATC classes reading them (the condition of a known drug)."
)


def _protocol_section(protocol: str, part: pd.DataFrame, summary: pd.DataFrame) -> list[str]:
    base, with_sider = split_condition(protocol)
    entry = PROTOCOLS[base]
    metrics = entry.key_metrics
    first = part.iloc[0]
    title = entry.title + (", + SIDER's other drugs in training" if with_sider else "")
    note = entry.note + (f" {SIDER_NOTE}" if with_sider else "")
    pool = (
        f"{int(first['n_pool_drugs'])} drugs with a structure and side effects."
        if entry.all_drugs
        else f"{int(first['n_pool_drugs'])} benchmark drugs (the non-independent drugs with a "
        f"structure; {int(first['n_excluded_no_structure'])} without one are left out)."
    )
    lines = [
        f"## {title}",
        "",
        f"{pool} " + note,
        "",
        "| model | folds | " + " | ".join(metrics) + " |",
        "|---|---|" + "---|" * len(metrics),
    ]
    table = {(r.model, r.metric): (r.mean, r.std, int(r.n)) for r in summary.itertuples()}
    models = list(dict.fromkeys(part["model"]))
    baseline_order = ["prevalence", "wnmf", "knn", "mlp"]
    models.sort(key=lambda m: (baseline_order.index(m) if m in baseline_order else 99, m))
    for model in models:
        cells = []
        n_folds = int(part[part["model"] == model]["fold"].nunique())
        for metric in metrics:
            mean, std, n = table.get((model, metric), (math.nan, math.nan, 0))
            cell = _fmt(mean, std, n)
            floor = table.get(("prevalence", metric))
            if model != "prevalence" and floor and not math.isnan(mean):
                margin = (floor[0] - mean) if metric in LOWER_IS_BETTER else (mean - floor[0])
                cell += f" ({margin:+.3f})"
            cells.append(cell)
        lines.append(f"| {model} | {n_folds} | " + " | ".join(cells) + " |")
    for published in () if with_sider else entry.published:
        numbers = published.figures
        cells = [f"{numbers[m]:.3f}" if m in numbers else "" for m in metrics]
        lines.append(f"| *published: {published.method}* | | " + " | ".join(cells) + " |")
    lines.extend(["", "Runs:", ""])
    for model in models:
        row = part[part["model"] == model].iloc[0]
        fit = summary[(summary["model"] == model) & (summary["metric"] == "fit_seconds")]
        fit_text = f", fit {fit['mean'].iloc[0]:.1f} s/fold" if len(fit) else ""
        lines.append(
            f"- `{model}`: `{row['command']}` at commit `{row['commit']}`, {row['date']}, "
            f"wall {float(row['wall_s']):.0f} s for {int(row['n_folds'])} fold(s){fit_text}"
        )
    lines.append("")
    return lines


def write_outputs(new: pd.DataFrame, out_dir: Path, title: str) -> tuple[Path, Path]:
    """Merge ``new`` into ``out_dir/results.csv`` and re-render ``out_dir/results.md``."""
    out_dir = Path(out_dir)
    csv_path = out_dir / "results.csv"
    merged = merge_results(new, csv_path)
    md_path = out_dir / "results.md"
    md_path.write_text(render_markdown(merged, title), encoding="utf-8")
    return csv_path, md_path


def command_line(argv: Sequence[str] | None = None) -> str:
    """The command as typed, for provenance (``sefreq bench ...``)."""
    args = list(sys.argv[1:] if argv is None else argv)
    return "sefreq " + " ".join(shlex.quote(a) for a in args)


def now_utc() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
