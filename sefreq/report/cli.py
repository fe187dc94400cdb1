"""`sefreq report`: a drug's or a molecule's report (PDF or SmPC CSV) without the dashboard."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers, formatter) -> None:
    report = subparsers.add_parser(
        "report",
        help="a drug's or a molecule's report, as PDF or SmPC CSV",
        description="The report the dashboard's Report page gives: the drug's side effects as "
        "section 4.8 of an EU SmPC lays them out (label terms first, then the model's "
        "predictions from a chance you choose, each term once under its primary organ "
        "class), with provenance, the applicability domain, the disclaimer and the "
        "licences. The input is a drug name, brand or ATC code of the catalogue, or a "
        "SMILES. Predictions are research output, not medical advice.",
        epilog="Example:\n"
        "  sefreq report Lipitor -o atorvastatin.pdf\n"
        '  sefreq report "CC(=O)Oc1ccccc1C(=O)O" -o aspirin.csv --threshold 30',
        formatter_class=formatter,
    )
    report.add_argument("drug", help="a drug name, brand or ATC code, or a SMILES")
    report.add_argument(
        "-o", "--out", type=Path, required=True, help="the report: a .pdf or a .csv file"
    )
    report.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="chance (%%) from which a prediction enters the SmPC table (default: the page's)",
    )
    report.add_argument(
        "--serious-only",
        action="store_true",
        help="only the serious side effects (the severity table's 'serious' tier)",
    )
    report.add_argument(
        "--model",
        type=Path,
        default=None,
        help="model bundle folder (default: $SEFREQ_MODEL_DIR or the shipped one)",
    )
    report.set_defaults(handler=_report)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def _report(args: argparse.Namespace) -> int:
    from sefreq.constants import DISCLAIMER
    from sefreq.data import load_dataset
    from sefreq.model.predictor import Predictor
    from sefreq.present.smpc import DEFAULT_THRESHOLD_PCT
    from sefreq.present.which import resolve_drug
    from sefreq.report.build import report_input, write_report

    if args.out.suffix.lower() not in (".pdf", ".csv"):
        return _fail(f"{args.out.name}: write the report to a .pdf or a .csv file")
    from sefreq.chem.io import OutputPathError, check_output

    try:  # before any work
        check_output(args.out)
    except OutputPathError as error:
        return _fail(str(error))
    threshold = DEFAULT_THRESHOLD_PCT if args.threshold is None else args.threshold
    if not 0 <= threshold <= 100:
        return _fail("--threshold is a chance in percent, from 0 to 100")
    dataset = load_dataset()  # DataMissingError: the main command prints it in one line
    molecule, read_as = resolve_drug(args.drug, dataset)
    if not molecule.ok:
        return _fail(f"{args.drug}: {molecule.error or 'no usable structure'}")
    predictor = (
        Predictor.from_directory(args.model) if args.model is not None else Predictor.from_bundled()
    )
    prediction = predictor.predict([molecule.parent_smiles], ids=[molecule.id])
    error = prediction["error"].dropna()
    if len(error):
        return _fail(f"{args.drug} could not be scored: {error.iloc[0]}")
    from sefreq.explain.mechanism import explain_mechanism
    from sefreq.report.build import mechanism_side_effects

    mechanism = explain_mechanism(
        molecule.parent_smiles, mechanism_side_effects(prediction), predictor.ensemble, dataset
    )
    from sefreq.present.standout import cached_catalogue_reference, reference_file

    if not reference_file(predictor, dataset.catalogue).is_file():
        print(
            "Placing the model's predictions among the approved drugs of the catalogue "
            "(once per model; minutes, then cached)...",
            file=sys.stderr,
        )
    reference = cached_catalogue_reference(predictor, dataset.catalogue)
    report = report_input(
        molecule,
        prediction,
        dataset,
        predictor.card,
        threshold,
        reference=reference,
        mechanism=mechanism,
        serious_only=args.serious_only,
    )
    write_report(report, args.out)
    print(f"{molecule.label} (read as {read_as}): wrote {args.out}")
    print(DISCLAIMER)
    return 0
