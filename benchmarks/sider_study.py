"""Two one-off variants of the +sider condition for cheap models, beside `sefreq bench`.

    .venv/bin/python benchmarks/sider_study.py --variant thinned --model kernel,prevalence
    .venv/bin/python benchmarks/sider_study.py --variant stated --model kernel

- ``stated``: the extra drugs keep only side effects with a stated class (R's definition
  of reported), and only the drugs that have one (90 with a structure).
- ``thinned``: for side effect j, w_j = P(R > 0 | SIDER lists it) on the fold's fit drugs
  (the 759 only, from ``dataset.associations``); an extra drug's UNSTATED cell stays a
  positive with probability w_j (seeded per fold), else becomes 0. Stated classes stay.

Writes ``benchmarks/sider_study/<variant>_results.csv`` (the `sefreq bench` long format,
protocol ``ICS+sider``) and prints the means; compare with `benchmarks/results.csv`'s ICS
rows (docs/MODEL.md quotes the paired differences). A study, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np

from sefreq.bench import protocols
from sefreq.bench.protocols import BenchData, ExtraDrugs
from sefreq.bench.runner import run_benchmark, summarise
from sefreq.constants import UNSTATED
from sefreq.data import load_dataset

OUT = Path(__file__).resolve().parent / "sider_study"


def thinning(dataset):
    """A fold builder that thins the extra drugs' UNSTATED cells to R's density."""
    listed = np.zeros(dataset.frequency.shape, dtype=bool)
    own = dataset.associations[dataset.associations["drug_index"] < len(dataset.drugs)]
    listed[own["drug_index"].to_numpy(), own["side_effect_index"].to_numpy()] = True
    reported = np.asarray(dataset.frequency) > 0
    plain = protocols.with_extra_drugs

    def thinned(data, fold):
        out = plain(data, fold)
        fit = fold.train.drug_ids
        n_fit = len(fit)
        w = (reported[fit] & listed[fit]).sum(0) / np.maximum(listed[fit].sum(0), 1)
        frequency = out.train.frequency.copy()
        extra = frequency[n_fit:]
        rng = np.random.default_rng([fold.index, 11])
        extra[(extra == UNSTATED) & (rng.random(extra.shape) >= w[None])] = 0
        return dataclasses.replace(out, train=dataclasses.replace(out.train, frequency=frequency))

    return thinned


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variant", choices=("thinned", "stated"), required=True)
    parser.add_argument("--model", default="kernel", help="comma-separated registry keys")
    args = parser.parse_args()
    dataset = load_dataset()
    data = BenchData.from_dataset(dataset)
    if args.variant == "stated":
        data = dataclasses.replace(data, extra=ExtraDrugs.from_dataset(dataset, listed=False))
    else:
        protocols.with_extra_drugs = thinning(dataset)
    print(f"{args.variant}: {len(data.extra.smiles)} extra drugs")
    results = run_benchmark(data, ["ICS+sider"], args.model.split(","), progress=False)
    OUT.mkdir(exist_ok=True)
    results.to_csv(OUT / f"{args.variant}_results.csv", index=False)
    summary = summarise(results)
    keep = summary["metric"].isin(["auroc", "aupr", "auroc_per_drug", "rmse"])
    print(summary[keep].pivot_table(index="model", columns="metric", values="mean").round(4))


if __name__ == "__main__":
    main()
