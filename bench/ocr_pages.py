"""Benchmark: OCR of the scanned samples (fax PDFs, TIFF) through the whole parser, beside the
bare engines on the same page images in the same run:

- the recogniser in use (PP-OCR through RapidOCR, or Tesseract) called once per page image;
- the `tesseract` command (chi_sim+eng) once per page image, as the issue's reference.

Ratio = pipeline ÷ bare engine; the pipeline adds preparation (speckles, square pixels,
orientation, deskew, ruling) and the form reading. Target of issue 5: ≤ 1.15.

    .venv/bin/python bench/ocr_pages.py [SAMPLES_DIR]
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from parsers import ocr, parse_document, scan  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def page_images(path: Path) -> list:
    data = path.read_bytes()
    if path.suffix == ".pdf":
        import pdfplumber

        with pdfplumber.open(path) as pdf:
            count = len(pdf.pages)
        return scan.pdf_pages(data, list(range(1, count + 1)))
    return ocr.images_of(data, path.name, 50)


def main() -> None:
    samples = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "samples"
    files = sorted(p for p in samples.iterdir() if "fax" in p.name and p.suffix in (".pdf", ".tif"))
    pages = {path: page_images(path) for path in files}
    count = sum(len(images) for images in pages.values())
    print(f"{len(files)} scanned files, {count} pages; engine: {ocr.engine()}")
    parse_document(files[0].read_bytes(), files[0].name)  # load the models once, as a running worker has them

    started = time.perf_counter()
    for path in files:
        parse_document(path.read_bytes(), path.name)
    pipeline = time.perf_counter() - started

    started = time.perf_counter()
    for images in pages.values():
        for image, _ in images:
            if ocr.engine() == "rapidocr":
                ocr._rapid()(np.asarray(image.convert("RGB")))
            else:
                ocr.read_region(image.convert("L"), single_line=False)
    bare = time.perf_counter() - started

    cli = None
    if shutil.which("tesseract"):
        folder = Path(tempfile.mkdtemp(prefix="aftersales-ocr-"))
        paths = []
        for index, image in enumerate(image for images in pages.values() for image, _ in images):
            target = folder / f"page{index}.png"
            image.convert("L").save(target)
            paths.append(target)
        started = time.perf_counter()
        for target in paths:
            subprocess.run(["tesseract", str(target), "-", "-l", "chi_sim+eng"], capture_output=True, check=True)
        cli = time.perf_counter() - started
        shutil.rmtree(folder, ignore_errors=True)

    print(f"pipeline (parse_document, all files)     {pipeline:6.2f} s   {pipeline / count:5.2f} s/page")
    print(f"bare {ocr.engine():10} on the page images     {bare:6.2f} s   ratio {pipeline / bare:4.2f}")
    if cli is not None:
        print(f"bare `tesseract` CLI on the page images   {cli:6.2f} s   ratio {pipeline / cli:4.2f}")


if __name__ == "__main__":
    main()
