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
        '  sefreq explain "CN1CCC[C@H]1c1cccnc1" -o nicotine.svg   # the top predicted one\n'
        '  sefreq explain "CN(C)CCCN1c2ccccc2CCc2ccccc21" --mechanism '
        "--side-effect 'dry mouth'   # imipramine: which of its targets carry it",
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
        "-o", "--out", type=Path, default=None, help="drawing: .svg, or .png for a PNG"
    )
    explain.add_argument(
        "--mechanism",
        action="store_true",
        help="print the molecule's proteins (known, or predicted with their chance) and, "
        "for each side effect, the proteins that carry it with the evidence from the labels",
    )
    explain.add_argument(
        "--structure-only",
        action="store_true",
        help="with --mechanism: treat the molecule as new (its predicted proteins)",
    )
    explain.add_argument(
        "--model", type=Path, default=None, help="bundle folder (default: models/)"
    )
    explain.add_argument(
        "--top",
        type=int,
        default=5,
        help="fragments listed per side effect (radius 1 or more, strongest first)",
    )
    explain.set_defaults(handler=_explain)


def _explain(args: argparse.Namespace) -> int:
    if args.out is None and not args.mechanism:
        print("error: give -o DRAWING (.svg or .png), or --mechanism", file=sys.stderr)
        return 2
    if args.out is not None:
        from sefreq.chem.io import OutputPathError, check_output

        try:  # before any work: a folder, a path under a file, an unwritable one
            check_output(args.out)
            check_output(args.out.with_suffix(".json"))
        except OutputPathError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    if args.mechanism:
        code = _mechanism(args)
        if code or args.out is None:
            return code
    suffix = args.out.suffix.lower()
    if suffix not in (".svg", ".png"):
        print(f"error: -o must end in .svg or .png, not {args.out.name!r}", file=sys.stderr)
        return 2
    from sefreq.explain import Explainer, ExplainInputError, draw_explanation, save_drawing
    from sefreq.explain.drawing import top_substructures
    from sefreq.explain.readout import structure_notes

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
    save_drawing(drawing, args.out)
    json_path = args.out.with_suffix(".json")
    json_path.write_text(json.dumps(explanation.to_json(), indent=1))

    summary = explanation.summary()
    notes = structure_notes(explanation)["sentence"]
    print(f"{explanation.parent_smiles}  ({args.kind})")
    for row, note in zip(summary.itertuples(), notes, strict=True):
        print(
            f"  {row.side_effect}: {row.value:.3f} vs background mean {row.expected_value:.3f}"
            f"  = atoms {row.atoms:+.4f}, absent bits {row.absent_bits:+.4f}, "
            f"descriptors {row.descriptors:+.4f}, similarity prior {row.knn_prior:+.4f}"
        )
        print(f"    {note}")
        table = top_substructures(explanation, row.side_effect, top=args.top, images=False)
        for sub in table.itertuples():
            bits = ",".join(str(bit) for bit in sub.bits)
            print(
                f"    {sub.contribution:+.4f}  {sub.fragment}  "
                f"(x{sub.n_occurrences}, bit {bits}, r={sub.radius})"
            )
    print(f"Wrote {args.out} and {json_path}")
    return 0


def _mechanism(args: argparse.Namespace) -> int:
    """``--mechanism``: the proteins and the label evidence, printed."""
    from sefreq.data import load_dataset
    from sefreq.data.registry import DataMissingError
    from sefreq.explain import resolve_side_effects
    from sefreq.explain.mechanism import explain_mechanism
    from sefreq.model.artifact import model_dir
    from sefreq.model.bundle import SEFreqEnsemble

    try:
        ensemble = SEFreqEnsemble.load(args.model or model_dir())
        dataset = load_dataset()
        names = ensemble.side_effect_names
        if args.side_effects:
            indices = resolve_side_effects(args.side_effects, names)
        else:
            out = ensemble.predict_arrays([args.smiles], structure_only=args.structure_only)
            if not out.valid[0]:
                raise ValueError(f"cannot read the SMILES {args.smiles!r}")
            indices = [int(j) for j in out.p_association[0].argsort()[::-1][:3]]
        result = explain_mechanism(
            args.smiles, indices, ensemble, dataset, structure_only=args.structure_only
        )
    except (DataMissingError, FileNotFoundError, ValueError, KeyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"mechanism: {result.source}")
    for row in result.proteins.head(12).itertuples():
        chance = "" if row.source != "predicted" else f"  chance {row.chance:.0%}"
        print(f"  {row.uniprot_id:8s} {row.protein or '':45.45s} {row.category:11s}{chance}")
    if len(result.proteins) > 12:
        print(f"  ... and {len(result.proteins) - 12} more")
    summary = result.summary()
    for index in indices:
        name = names[index]
        lines = summary[summary["side_effect"] == name]
        print(f"{name}:")
        if lines.empty:
            print("  none of these proteins is listed with it more often than chance (p < 0.05)")
        for line in lines.itertuples():
            print(f"  {line.protein}: {line.evidence}")
    print("Label association, not proof of cause: drugs of one class share proteins.")
    return 0
