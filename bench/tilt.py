"""Benchmark: the scanned samples tilted (PIL rotate with expand, white fill) and read again,
scored against their *.expected.json per tilt — how far deskew holds.

    .venv/bin/python bench/tilt.py [--angles -5,-3,-1.5,0,1.5,3,5] [--dpi 204x98] [SAMPLE ...]

Each page is rendered as the sample's scan, tilted, saved as a TIFF at the given fax
resolution (204×98 squeezes its height to half, as a standard-mode fax does) and parsed.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image  # noqa: E402

from parsers import parse_document  # noqa: E402
from tests.accuracy import Counts, compare_fields  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("024-fax-complaint", "025-fax-complaint", "026-fax-complaint", "035-fax-return-sheet", "038-fax-feedback-form")


def pages_of(path: Path) -> list[Image.Image]:
    from bench.ocr_pages import page_images

    return [image for image, _ in page_images(path)]


def as_fax(pages: list[Image.Image], angle: float, dpi: tuple[int, int]) -> bytes:
    """The pages tilted by `angle` degrees and sent at `dpi` as a multi-page TIFF."""
    out = []
    for page in pages:
        grey = page.convert("L")
        tilted = grey.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
        scale = dpi[0] / 200, dpi[1] / 200  # the samples render at about 200 dpi
        out.append(tilted.resize((round(tilted.width * scale[0]), round(tilted.height * scale[1]))).point(
            lambda v: 255 if v > 150 else 0).convert("1"))
    buffer = io.BytesIO()
    out[0].save(buffer, format="TIFF", compression="group4", dpi=dpi, save_all=True, append_images=out[1:])
    return buffer.getvalue()


def score(expected: dict, doc) -> Counts:  # noqa: ANN001
    total = Counts()
    unscored = set(expected.get("unscored", []))
    for counts in compare_fields(expected.get("fields", {}), doc.field_values, unscored).values():
        total.add(counts)
    for index, line in enumerate(expected.get("lines", [])):
        got = doc.lines[index] if index < len(doc.lines) else {}
        for counts in compare_fields(line, got, set(), "lines.").values():
            total.add(counts)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("samples", nargs="*", default=list(SCANNED))
    parser.add_argument("--folder", default=str(ROOT.parent / "shared" / "samples"))
    parser.add_argument("--angles", default="-5,-3,-1.5,0,1.5,3,5")
    parser.add_argument("--dpi", default="204x196")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    folder = Path(args.folder)
    dpi = tuple(int(v) for v in args.dpi.split("x"))
    angles = [float(a) for a in args.angles.split(",")]
    per_angle = {angle: Counts() for angle in angles}
    for name in args.samples:
        expected_path = next(folder.glob(f"{name}*.expected.json"))
        expected = json.loads(expected_path.read_text(encoding="utf-8"))
        pages = pages_of(folder / expected["file"])
        for angle in angles:
            started = time.perf_counter()
            doc = parse_document(as_fax(pages, angle, dpi), f"{name}.tif")
            counts = score(expected, doc)
            per_angle[angle].add(counts)
            kind = "ok" if doc.kind == expected["kind"] else f"KIND {doc.kind}"
            print(f"{name:24} {angle:+5.1f}°  F1 {counts.f1:.3f}  {kind}  {time.perf_counter() - started:4.1f} s", flush=True)
            if args.verbose:
                print("   ", json.dumps(doc.field_values, ensure_ascii=False, default=str))
                for line in doc.lines:
                    print("   ", json.dumps(line, ensure_ascii=False, default=str))
    for angle, counts in per_angle.items():
        print(f"tilt {angle:+5.1f}°: P {counts.precision:.3f} R {counts.recall:.3f} F1 {counts.f1:.3f}")


if __name__ == "__main__":
    main()
