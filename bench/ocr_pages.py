"""Benchmark: OCR of the scanned samples (fax PDFs, TIFF) through the whole parser, beside the
bare engines on the same page images in the same run:

- the recogniser in use (PP-OCR through RapidOCR, or Tesseract) called once per page image;
- the `tesseract` command (chi_sim+eng) once per page image, as the issue's reference.

Ratio = pipeline ÷ bare engine; the pipeline adds preparation (speckles, square pixels,
orientation, deskew, ruling) and the form reading. Target of issue 5: ≤ 1.15. The three run
file by file, one after the other, so that a load that changes meets all three; wall time and
CPU time are both given (CPU time says more on a machine shared with others).

    .venv/bin/python bench/ocr_pages.py [SAMPLES_DIR]
"""

from __future__ import annotations

import resource
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
    folder = Path(tempfile.mkdtemp(prefix="aftersales-ocr-"))
    cli = shutil.which("tesseract")
    # File by file, the parser and then the bare engines on the same pages: on a machine shared
    # with others the load changes within minutes, and each file's three runs then meet the same.
    wall, cpu = {"pipeline": 0.0, "bare": 0.0, "cli": 0.0}, {"pipeline": 0.0, "bare": 0.0, "cli": 0.0}
    for path in files:
        timed(wall, cpu, "pipeline", lambda path=path: parse_document(path.read_bytes(), path.name))
        for index, (image, _) in enumerate(pages[path]):
            if ocr.engine() == "rapidocr":
                timed(wall, cpu, "bare", lambda image=image: ocr._rapid()(np.asarray(image.convert("RGB"))))
            else:
                timed(wall, cpu, "bare", lambda image=image: ocr.read_region(image.convert("L"), single_line=False))
            if cli:
                target = folder / f"{path.stem}-{index}.png"
                image.convert("L").save(target)
                timed(wall, cpu, "cli", lambda target=target: subprocess.run(
                    [cli, str(target), "-", "-l", "chi_sim+eng"], capture_output=True, check=True), children=True)
    shutil.rmtree(folder, ignore_errors=True)
    print(f"pipeline (parse_document, all files)     {wall['pipeline']:6.2f} s   {wall['pipeline'] / count:5.2f} s/page"
          f"   CPU {cpu['pipeline']:6.2f} s")
    print(f"bare {ocr.engine():10} on the page images     {wall['bare']:6.2f} s   ratio {wall['pipeline'] / wall['bare']:4.2f}"
          f"   CPU {cpu['bare']:6.2f} s   ratio {cpu['pipeline'] / cpu['bare']:4.2f}")
    if cli:
        print(f"bare `tesseract` CLI on the page images   {wall['cli']:6.2f} s   ratio {wall['pipeline'] / wall['cli']:4.2f}"
              f"   CPU {cpu['cli']:6.2f} s   ratio {cpu['pipeline'] / cpu['cli']:4.2f}")


def timed(wall: dict, cpu: dict, key: str, work, children: bool = False) -> None:  # noqa: ANN001
    """Run `work`, adding its wall time and CPU time (this process's threads, or the child
    processes it waited for) to the totals under `key`."""
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    before, started = resource.getrusage(who), time.perf_counter()
    work()
    after = resource.getrusage(who)
    wall[key] += time.perf_counter() - started
    cpu[key] += (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


if __name__ == "__main__":
    main()
