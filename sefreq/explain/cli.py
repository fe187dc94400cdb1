"""`sefreq explain SMILES`: atom contributions of a molecule's predicted side effects."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(subparsers, formatter) -> None:
    explain = subparsers.add_parser(
        "explain",
        help="draw which atoms drive a molecule's predicted side effects",
        description="SHAP attributions of the predicted association probability (or expected "
        "frequency class) of one or more side effects, shared from Morgan fingerprint bits "
        "onto atoms and drawn on the structure with one colour scale (red raises, blue "
        "lowers). A JSON of per-atom contributions is written beside the drawing (same name, "
        ".json); the top substructures and non-structural inputs are printed.",
        epilog="Example:\n"
        '  sefreq explain "CC(=O)Oc1ccccc1C(=O)O" --side-effect nausea -o aspirin.svg\n'
        '  sefreq explain "CC(=O)Oc1ccccc1C(=O)O" --side-effect nausea --side-effect headache '
        "--output frequency -o aspirin.png\n"
        '  sefreq explain "CN1CCC[C@H]1c1cccnc1" -o nicotine.svg   # the top predicted one',
        formatter_class=formatter,
    )
    explain.add_argument("smiles", metavar="SMILES", help="the molecule (quote it in the shell)")
    explain.add_argument(
        "--side-effect",
        dest="side_effects",
        action="append",
        metavar="NAME",
        default=None,
        help="MedDRA term to explain; repeat for several (default: the top predicted one)",
    )
    explain.add_argument(
        "--output",
        dest="kind",
        choices=("association", "frequency"),
        default="association",
        help="explain P(association) or the expected frequency class",
    )
    explain.add_argument(
        "-o", "--out", type=Path, required=True, help="drawing: .svg, or .png for a PNG"
    )
    explain.add_argument(
        "--model", type=Path, default=None, help="bundle folder (default: models/)"
    )
    explain.add_argument("--top", type=int, default=5, help="substructures listed per sign")
    explain.set_defaults(handler=_explain)


def _explain(args: argparse.Namespace) -> int:
    suffix = args.out.suffix.lower()
    if suffix not in (".svg", ".png"):
        print(f"error: -o must end in .svg or .png, not {args.out.name!r}", file=sys.stderr)
        return 2
    from sefreq.explain import Explainer, ExplainInputError, draw_explanation, save_drawing
    from sefreq.explain.drawing import top_substructures

    try:
        explainer = Explainer(bundle_dir=args.model)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        explanation = explainer.explain(args.smiles, args.side_effects, args.kind)
    except ExplainInputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    drawing = draw_explanation(explanation, fmt=suffix[1:])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_drawing(drawing, args.out)
    json_path = args.out.with_suffix(".json")
    json_path.write_text(json.dumps(explanation.to_json(), indent=1))

    summary = explanation.summary()
    print(f"{explanation.parent_smiles}  ({args.kind})")
    for row in summary.itertuples():
        print(
            f"  {row.side_effect}: {row.value:.3f} vs background mean {row.expected_value:.3f}"
            f"  = atoms {row.atoms:+.4f}, absent bits {row.absent_bits:+.4f}, "
            f"descriptors {row.descriptors:+.4f}, similarity prior {row.knn_prior:+.4f}"
        )
        table = top_substructures(explanation, row.side_effect, top=args.top, images=False)
        for sub in table.itertuples():
            print(f"    {sub.contribution:+.4f}  {sub.smarts}  (bit {sub.bit}, r={sub.radius})")
    print(f"Wrote {args.out} and {json_path}")
    return 0
