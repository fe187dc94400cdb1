"""`sefreq which`: which drug of a medication list could cause a symptom, and how often."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

#: Columns printed on the terminal, under their human names
#: (:data:`sefreq.present.vocabulary.COLUMN_NAMES`); the CSV holds every column of the
#: table under its machine name.
SHOWN = {
    False: (
        "rank",
        "entered",
        "drug",
        "source",
        "label_band",
        "n_labels",
        "placebo_band",
        "p_reported_pct",
        "uncertainty_pct",
        "in_domain",
        "error",
    ),
    True: (
        "rank",
        "drug",
        "label_band",
        "label_median_pct",
        "n_labels",
        "placebo_band",
        "placebo_at_least_drug",
    ),
}


#: Names of the columns only the terminal shows under a human name (the Which drug? page
#: keeps its own).
TERMINAL_NAMES = {
    "entered": "entered",
    "placebo_at_least_drug": "placebo as often",
    "error": "problem",
}


def printed(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` as the terminal shows it: rounded, human column names, yes/no for flags
    (:func:`sefreq.present.vocabulary.readable`)."""
    import pandas as pd

    from sefreq.present.vocabulary import COLUMN_NAMES, rounded

    table = table.copy()
    for column in table.columns:
        if pd.api.types.is_bool_dtype(table[column]):
            table[column] = table[column].map({True: "yes", False: "no"})
    return rounded(table).rename(columns={**COLUMN_NAMES, **TERMINAL_NAMES})


def register(subparsers, formatter) -> None:
    which = subparsers.add_parser(
        "which",
        help="which drug of a medication list could cause a symptom, and how often",
        description="Read a symptom (any wording: a MedDRA term, a label wording such as "
        "'heartburn', a lay term such as 'ringing in ears', plurals and typos forgiven) "
        "against a medication list (names, brands or SMILES). Drugs whose labels (SIDER 4.1) "
        "report the symptom come first, by the band of the median label statement; the "
        "others follow by the model's predicted chance. With --reverse, the known drugs "
        "whose labels report the symptom most often. Predictions are research output, "
        "not medical advice.",
        epilog="Example:\n"
        '  sefreq which --symptom tinnitus --drugs "ibuprofen, furosemide, metformin"\n'
        '  sefreq which --symptom "ringing in ears" --drugs "Advil; CCO" --csv answer.csv\n'
        "  sefreq which --symptom heartburn --reverse --top 10",
        formatter_class=formatter,
    )
    which.add_argument("--symptom", required=True, help="the symptom, in any wording")
    which.add_argument(
        "--drugs",
        default="",
        help="the medication list: names, brands or SMILES separated by commas, "
        "semicolons or new lines",
    )
    which.add_argument(
        "--reverse",
        action="store_true",
        help="list the known drugs whose labels report the symptom most often instead",
    )
    which.add_argument("--top", type=int, default=20, help="rows of --reverse")
    which.add_argument("--csv", type=Path, default=None, help="also write the table here")
    which.add_argument(
        "--model",
        type=Path,
        default=None,
        help="model bundle folder (default: $SEFREQ_MODEL_DIR or the shipped one)",
    )
    which.set_defaults(handler=_which)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def _which(args: argparse.Namespace) -> int:
    import pandas as pd

    from sefreq.chem.io import neutralise_formulas
    from sefreq.constants import DISCLAIMER
    from sefreq.data import load_dataset
    from sefreq.present.symptoms import (
        UnknownSymptomError,
        match_symptom,
    )
    from sefreq.present.which import (
        drugs_reporting,
        severity_note,
        split_drug_list,
        which_drugs,
    )

    if args.top < 1:
        return _fail("--top must be at least 1")
    if args.csv is not None:
        from sefreq.chem.io import OutputPathError, check_output

        try:  # before any work
            check_output(args.csv)
        except OutputPathError as error:
            return _fail(str(error))
    entries = split_drug_list(args.drugs)
    if not args.reverse and not entries:
        return _fail('give the medication list with --drugs "a, b, c" (or use --reverse)')
    dataset = load_dataset()  # DataMissingError: the main command prints it in one line
    match = match_symptom(args.symptom, dataset)
    if not match.found:
        return _fail(match.describe())
    try:
        if args.reverse:
            table = drugs_reporting(match, dataset, n=args.top)
        else:
            predict = None
            if args.model is not None:
                from sefreq.model.predictor import Predictor

                predict = Predictor.from_directory(args.model).predict
            table = which_drugs(match, entries, dataset, predict=predict)
    except UnknownSymptomError as error:
        return _fail(str(error))
    except (OSError, ValueError) as error:  # e.g. a --model folder that holds no bundle
        return _fail(f"could not answer: {error}")

    print(match.describe())
    print(severity_note(str(match.side_effect)))
    if args.reverse:
        print(f"Known drugs whose labels report {match.side_effect} most often (SIDER 4.1):")
    if table.empty:
        print("  none")
    else:
        with pd.option_context("display.width", 200, "display.max_columns", 20):
            print(printed(table[list(SHOWN[args.reverse])]).to_string(index=False))
    if args.csv is not None:
        neutralise_formulas(table.assign(symptom=args.symptom)).to_csv(args.csv, index=False)
        print(f"wrote {len(table)} rows to {args.csv}")
    print(DISCLAIMER)
    if not args.reverse and not (table["error"] == "").any():
        return _fail("none of the drugs could be read: check the names or SMILES")
    return 0
