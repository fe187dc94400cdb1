"""How well the SIDER -> class rule reproduces Galeano's R, and what the placebo flag finds.

    SEFREQ_DATA_DIR=/path/to/upstream .venv/bin/python benchmarks/conversion_agreement.py

For each rule of :func:`sefreq.data.sider.summarise_pairs` it prints, over the 37,441
pairs that R reports: the share with SIDER drug evidence, exact agreement and agreement
within one class; then how many pairs R leaves at zero although SIDER has drug evidence,
and how many of those carry ``placebo_at_least_drug``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sefreq.data import sider
from sefreq.data.cache import load_dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="upstream files")
    args = parser.parse_args()
    dataset = load_dataset(args.data_dir)
    evidence = dataset.evidence
    total_pt = len(evidence)
    print(f"SIDER PT rows mapped to the 994 terms: {total_pt:,}")
    for rule in (sider.MIDPOINT_RULE, sider.CLASS_RULE):
        pairs = sider.summarise_pairs(evidence, dataset.frequency, rule=rule)
        reported = pairs[pairs["galeano_class"] > 0]
        difference = reported["derived_class"].astype(int) - reported["galeano_class"].astype(int)
        covered = (reported["n_labels"] > 0).mean()
        exact, within_one = (difference == 0).mean(), (difference.abs() <= 1).mean()
        above, below = (difference > 0).mean(), (difference < 0).mean()
        print(
            f"rule={rule:9s} pairs in R: {len(reported):,}  with evidence {covered:.4%}  "
            f"exact {exact:.4%}  within one {within_one:.4%}  "
            f"(derived above R {above:.2%}, below {below:.2%})"
        )
    pairs = dataset.pairs
    dropped = pairs[(pairs["galeano_class"] == 0) & (pairs["n_labels"] > 0)]
    kept = pairs[pairs["galeano_class"] > 0]
    print(
        f"R-zero pairs with drug evidence: {len(dropped):,}; placebo_at_least_drug: "
        f"{int(dropped['placebo_at_least_drug'].sum()):,} "
        f"({dropped['placebo_at_least_drug'].mean():.1%}); among pairs R reports: "
        f"{int(kept['placebo_at_least_drug'].sum()):,}"
    )
    print(
        f"post-marketing-only pairs: {int(pairs['postmarketing_only'].sum()):,} "
        f"(in R: {int((kept['postmarketing_only']).sum())})"
    )


if __name__ == "__main__":
    main()
