"""OCR of faxes, scans and photos. PP-OCR (RapidOCR on ONNX Runtime) reads by default;
Tesseract 5 (tesserocr) turns pages upright and, with AFTERSALES_OCR_ENGINE=tesseract, reads too.

Each page is prepared the way a fax needs it: pixels made square (204×98 and 204×196 dpi are
not) at about 300 dpi, turned upright (Tesseract's orientation detection) and deskewed. The
ruling of a form is found; PP-OCR's text lines go to the grid cell they lie in (Tesseract reads
each cell on its own), and the text around the grid comes line by line. Every cell and line
keeps the recogniser's confidence. Pages are recognised in parallel, one thread per core.
"""

from __future__ import annotations

import io
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageFilter, ImageOps

from parsers import checkboxes
from parsers.deskew import skew_angle as deskew_angle
from parsers.model import ParseError

log = logging.getLogger(__name__)

TARGET_DPI = 300
# Both read from the environment when used, not at import: AFTERSALES_OCR_LANGUAGES, Tesseract's
# languages; AFTERSALES_OCR_ENGINE, "auto" (PP-OCR — RapidOCR, ONNX — when installed, else
# Tesseract) or one of them by name.
DEFAULT_LANGUAGES = "chi_sim+chi_tra+eng"
DEFAULT_ENGINE = "auto"
TESSDATA_DIRS = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
)
STREAK = (
    0.5  # a vertical line inked over this share of the page outside the form is a drum's streak
)
STREAK_RUN = 150  # pixels (at 300 dpi, half an inch): a rule of the form stops at the form's edge, a streak runs on
STREAK_SOLID = 0.8  # the share of those a streak inks, broken by toner drop-outs or not
STREAK_HEIGHT = 0.6  # a column inked over this share of the page's height is a drum's streak
FAX_DPI_MAX = 240  # below this a page is treated as a fax: thin strokes are thickened
FAX_HEADER = re.compile(  # `2026-10-05 12:47 FROM:0574 8107 2592 P.1/1`, as fax machines print it (O read as 0 too)
    r"(?P<time>\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\s*\d{1,2}[:.]\d{2})?.{0,20}?"
    r"(?:FR[O0]M|FAX|发件|來自|来自)\s*[:：]?\s*(?P<number>[+\d][\d\s-]{5,24}\d)"
    r"(?:.{0,20}?P(?:AGE)?\s*\.?\s*(?P<page>\d{1,3})\s*/\s*(?P<pages>\d{1,3}))?",
    re.IGNORECASE,
)
CJK = r"\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
OPTION_WORDS = re.compile(
    rf"[{CJK}]|[A-Za-z]{{2,}}"
)  # what a check box's option says: a word, not a code's digits
QUESTION_NUMBER = re.compile(r"^\s*\d{1,2}\s*[.、)．]?\s*")  # `2.` before a question on a form
BOX_AFTER_LABEL = re.compile(
    r"[:：]\s*[口☐□]"
)  # an empty check box read as a character after a label
CELL_MARK = 0.3  # a mark this share of its cell's height or taller is writing, not a speck
UNREAD_CELL_CONFIDENCE = 0.4  # below, what was read in a cell the detector passed over is dropped
SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{CJK}])\s+(?=[{CJK}])")


class OcrUnavailable(ParseError):
    """Tesseract or its language data is missing: the item waits in quarantine until it is there
    (the English wording, the operator's, is the reason the retry looks for)."""

    def __init__(self, detail: str) -> None:
        super().__init__("ocr_unavailable", detail=detail)


@lru_cache(maxsize=1)
def tessdata() -> str | None:
    candidates = [os.environ.get("TESSDATA_PREFIX", ""), *TESSDATA_DIRS]
    return next((d for d in candidates if d and (Path(d) / "chi_sim.traineddata").is_file()), None)


def languages() -> str:
    return os.environ.get("AFTERSALES_OCR_LANGUAGES", DEFAULT_LANGUAGES)


@lru_cache(maxsize=1)
def engine() -> str:
    """The recogniser in use: `rapidocr` (PP-OCR models on ONNX Runtime) or `tesseract`."""
    wanted = os.environ.get("AFTERSALES_OCR_ENGINE", DEFAULT_ENGINE)
    if wanted in ("auto", "rapidocr"):
        try:
            import rapidocr_onnxruntime  # noqa: F401

            return "rapidocr"
        except ImportError:
            if wanted == "rapidocr":
                return "missing"
    return "tesseract"


@lru_cache(maxsize=1)
def available() -> str | None:
    """Why OCR cannot run here, or None when it can."""
    if engine() == "rapidocr":
        return None
    if engine() == "missing":
        return "OCR not available: the rapidocr_onnxruntime package is not installed"
    try:
        import tesserocr  # noqa: F401
    except ImportError:
        return "OCR not available: the tesserocr package is not installed"
    folder = tessdata()
    if folder is None:
        return "OCR not available: no Tesseract language data (apt-get install tesseract-ocr-chi-sim tesseract-ocr-chi-tra)"
    missing = [
        lang
        for lang in languages().split("+")
        if not (Path(folder) / f"{lang}.traineddata").is_file()
    ]
    return (
        f"OCR not available: Tesseract has no {', '.join(missing)} language data"
        if missing
        else None
    )


@dataclass
class OcrPage:
    number: int
    lines: list[tuple[str, float]] = field(
        default_factory=list
    )  # text outside the grid, with confidence
    tables: list[list[list[tuple[str, float]]]] = field(
        default_factory=list
    )  # rows of (text, confidence) cells
    fax: dict[str, str] = field(default_factory=dict)
    rotated: int = 0

    @property
    def confidence(self) -> float:
        values = [c for _, c in self.lines] + [
            c for t in self.tables for row in t for text, c in row if text
        ]
        return sum(values) / len(values) if values else 0.0


# ---------------------------------------------------------------- images


def images_of(
    data: bytes, filename: str, max_pages: int
) -> list[tuple[Image.Image, tuple[float, float] | None]]:
    """The pages of a TIFF (every frame, Group 4 included), PNG or JPEG, with their resolution."""
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception:  # noqa: BLE001 - Pillow raises many types for what is not an image
        raise ParseError("not_a_picture", file=filename) from None
    if image.width * image.height > 80_000_000:
        raise ParseError("picture_too_large", file=filename, size=f"{image.width}×{image.height}")
    pages = []
    for index in range(min(getattr(image, "n_frames", 1), max_pages)):
        image.seek(index)
        dpi = image.info.get("dpi")
        pages.append(
            (ImageOps.exif_transpose(image.copy()), (float(dpi[0]), float(dpi[1])) if dpi else None)
        )
    return pages


def looks_like_document(image: Image.Image) -> bool:
    """Paper with writing on it — mostly white, some dark ink — rather than a photo of a
    product: only such pictures are worth reading (OCR of a photo costs seconds for nothing)."""
    if image.mode == "1":
        return True  # black and white: a fax or a scan, never a photo
    small = np.asarray(image.convert("L").resize((512, 512), Image.Resampling.NEAREST))
    white, ink = float((small > 190).mean()), float((small < 90).mean())
    return white >= 0.45 and 0.003 <= ink <= 0.3


def normalise(
    image: Image.Image, dpi: tuple[float, float] | None, for_tesseract: bool = False
) -> Image.Image:
    """Grey, square pixels at about 300 dpi (fax pixels are not square), smoothed a little.
    Tesseract also wants speckles removed and thin fax strokes thickened; PP-OCR reads the thin
    strokes better as they are (a median filter cost it a third of the fields of the samples)."""
    grey = image.convert("L")
    if for_tesseract and (
        not dpi or min(dpi) >= 150
    ):  # at 98 dpi a median takes thin strokes for speckles
        grey = grey.filter(ImageFilter.MedianFilter(3))
    if dpi and dpi[0] > 0 and dpi[1] > 0:
        x_scale, y_scale = TARGET_DPI / dpi[0], TARGET_DPI / dpi[1]
    else:  # a photo: no resolution; grow small ones so characters are large enough
        x_scale = y_scale = max(1.0, 2000 / max(grey.size))
    pixels = np.asarray(grey)
    if (
        abs(x_scale - 1) > 0.05 or abs(y_scale - 1) > 0.05
    ):  # OpenCV: a few times faster than Pillow at this size
        pixels = cv2.resize(
            pixels,
            (round(grey.width * x_scale), round(grey.height * y_scale)),
            interpolation=cv2.INTER_CUBIC,
        )
    if for_tesseract and dpi and min(dpi) <= FAX_DPI_MAX:
        return Image.fromarray(cv2.GaussianBlur(pixels, (0, 0), 0.3)).filter(
            ImageFilter.MinFilter(3)
        )
    return Image.fromarray(cv2.GaussianBlur(pixels, (0, 0), 0.5))


def without_drum_streaks(grey: Image.Image) -> Image.Image:
    """The page without the streaks a fax's drum draws from top to bottom (before deskew, while
    they are still upright): columns inked over STREAK_HEIGHT of the page's height, broken or
    not, which no form's rule is, are whitened."""
    ink = np.asarray(grey) < 160
    coverage = ink.mean(axis=0)
    streaks = np.nonzero(coverage >= STREAK_HEIGHT)[0]
    if not len(streaks):
        return grey
    pixels = np.asarray(grey).copy()
    for x in streaks:
        pixels[:, max(0, x - 2) : x + 3] = 255
    return Image.fromarray(pixels)


def deskew(grey: Image.Image) -> tuple[Image.Image, np.ndarray, float]:
    """The page turned level, its ink (True) for finding the ruling, and the angle it was turned by."""
    angle = deskew_angle(np.asarray(grey) < 160)
    if abs(angle) >= 0.05:
        grey = rotated(grey, angle)
    else:
        angle = 0.0
    return grey, np.asarray(grey) < 160, angle


def rotated(grey: Image.Image, angle: float) -> Image.Image:
    """The page turned `angle` degrees counter-clockwise about its centre, as Pillow's `rotate`
    does, white where the page was not; OpenCV's warp is several times faster on a whole page."""
    centre = ((grey.width - 1) / 2, (grey.height - 1) / 2)
    turn = cv2.getRotationMatrix2D(centre, angle, 1.0)
    return Image.fromarray(
        cv2.warpAffine(
            np.asarray(grey),
            turn,
            grey.size,
            flags=cv2.INTER_CUBIC,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=255,
        )
    )


def ruling(ink: np.ndarray, axis: int, min_length: int | None = None) -> np.ndarray:
    """A mask of the long straight runs of ink along an axis (0: horizontal lines), at least
    `min_length` long (an eighth of the page by default). Gaps of a few pixels a fax's toner
    leaves in a rule are bridged first."""
    grid = ink if axis == 0 else ink.T
    bridged = cv2.morphologyEx(grid.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((1, 3), np.uint8))
    padded = np.pad(bridged.astype(np.int8), ((0, 0), (1, 1)))
    steps = np.diff(padded, axis=1)
    starts, ends = np.nonzero(steps == 1), np.nonzero(steps == -1)
    mask = np.zeros_like(grid)
    shortest = min_length or grid.shape[1] // 8
    for row, start, end in zip(starts[0], starts[1], ends[1], strict=True):
        if end - start >= shortest:
            mask[max(0, row - 3) : row + 4, max(0, start - 2) : end + 2] = True
    return mask if axis == 0 else mask.T


def without_streaks(
    vertical: np.ndarray, ink: np.ndarray, rows: list[int], angle: float = 0.0, margin: int = 40
) -> np.ndarray:
    """The vertical rules without the streaks a fax's drum draws down the page: ink that runs
    on past the form's top or bottom rule, broken or not — over most of the page, or solid for
    STREAK_RUN beyond it — is no rule of the form, even where a piece of it inside the form looks
    like one. A streak is straight down the sheet as it was sent, so on a page levelled by
    `angle` degrees it leans by as much: it is followed along that lean."""
    if len(rows) < 2:
        return vertical
    found = vertical.copy()
    leans = {0.0, float(np.tan(np.radians(angle))), -float(np.tan(np.radians(angle)))}
    for (top, bottom), sides in zip(
        zip(rows, rows[1:], strict=False), row_columns(vertical, rows), strict=True
    ):
        middle = (
            top + bottom
        ) / 2  # a leaning streak is found where it crosses each row, not by its mean
        for x in sides:
            lean = next(
                (lean for lean in leans if streak_along(ink, x, middle, lean, rows, margin)), None
            )
            if lean is not None:
                for y in range(max(0, rows[0] - margin), min(ink.shape[0], rows[-1] + margin)):
                    at = round(x + lean * (y - middle))
                    found[y, max(0, at - 12) : at + 13] = False
    return found


def streak_along(
    ink: np.ndarray, x: int, middle: float, lean: float, rows: list[int], margin: int
) -> bool:
    """Ink runs along the line through (x, middle) leaning `lean` past the grid's top or bottom:
    over STREAK of the page beyond it, or over STREAK_SOLID of the STREAK_RUN pixels next to it."""
    height, width = ink.shape
    ys = np.arange(height)
    xs = np.clip(np.round(x + lean * (ys - middle)).astype(int), 0, width - 1)
    inked = np.zeros(height, dtype=bool)
    for offset in range(-3, 4):
        inked |= ink[ys, np.clip(xs + offset, 0, width - 1)]
    above, below = inked[: max(0, rows[0] - margin)][::-1], inked[rows[-1] + margin :]
    return any(
        (len(part) >= 100 and part.mean() > STREAK)
        or (len(part) >= STREAK_RUN and part[:STREAK_RUN].mean() >= STREAK_SOLID)
        for part in (above, below)
    )


def separator_length(rows: list[int], page_height: int) -> int:
    """How long a vertical rule must be: most of a row's height when the form has rows (a
    separator between two fields of one row is no longer), else an eighth of the page."""
    heights = [
        bottom - top for top, bottom in zip(rows, rows[1:], strict=False) if bottom - top >= 30
    ]
    return max(40, int(0.7 * float(np.median(heights)))) if heights else page_height // 8


def line_positions(mask: np.ndarray, axis: int) -> list[int]:
    """Centres of the ruled lines in a mask (y of horizontal lines, x of vertical ones)."""
    profile = mask.any(axis=1) if axis == 0 else mask.any(axis=0)
    positions, run = [], []
    for index, on in enumerate(profile):
        if on:
            run.append(index)
        elif run:
            positions.append(sum(run) // len(run))
            run = []
    if run:
        positions.append(sum(run) // len(run))
    return positions


# ---------------------------------------------------------------- recognition

_local = threading.local()


def _api(kind: str = "text"):  # noqa: ANN202
    """This thread's Tesseract (one for text, one for orientation), made on first use."""
    import tesserocr

    key = f"api_{kind}"
    if not hasattr(_local, key):
        lang = "osd" if kind == "osd" else languages()
        psm = tesserocr.PSM.OSD_ONLY if kind == "osd" else tesserocr.PSM.SINGLE_BLOCK
        api = tesserocr.PyTessBaseAPI(path=tessdata(), lang=lang, psm=psm)
        api.SetVariable("preserve_interword_spaces", "1")
        setattr(_local, key, api)
    return getattr(_local, key)


def upright(grey: Image.Image) -> tuple[Image.Image, int]:
    """Turn a page the right way up when Tesseract's orientation detection is sure of it."""
    try:
        import tesserocr  # noqa: F401
    except ImportError:
        return grey, 0
    if tessdata() is None or not (Path(tessdata()) / "osd.traineddata").is_file():
        return grey, 0
    api = _api("osd")
    api.SetImage(grey.resize((grey.width // 2, grey.height // 2)))  # 150 dpi is plenty
    try:
        found = api.DetectOrientationScript()
    except RuntimeError:
        return grey, 0
    if found and found.get("orient_deg") in (90, 180, 270) and found.get("orient_conf", 0) >= 2.0:
        degrees = found["orient_deg"]
        return grey.rotate(degrees, expand=True, fillcolor=255), degrees
    return grey, 0


def read_region(image: Image.Image, single_line: bool) -> tuple[str, float]:
    import tesserocr

    api = _api()
    api.SetPageSegMode(tesserocr.PSM.SINGLE_LINE if single_line else tesserocr.PSM.SINGLE_BLOCK)
    api.SetImage(image)
    text = api.GetUTF8Text()
    confidence = max(0, api.MeanTextConf()) / 100
    return tidy(text), confidence


def tidy(text: str) -> str:
    """One line; Chinese without the spaces the recogniser puts between characters."""
    return SPACE_BETWEEN_CJK.sub("", re.sub(r"\s+", " ", text)).strip()


def recognise_page(image: Image.Image, dpi: tuple[float, float] | None, number: int) -> OcrPage:
    page = OcrPage(number)
    grey = normalise(image, dpi, for_tesseract=engine() == "tesseract")
    grey, page.rotated = upright(grey)
    grey, ink, angle = deskew(without_drum_streaks(grey))
    horizontal = ruling(ink, 0)
    rows = line_positions(horizontal, 0)
    vertical = without_streaks(
        ruling(ink, 1, separator_length(rows, ink.shape[0])), ink, rows, angle
    )
    columns = row_columns(vertical, rows)
    grid = (rows, columns) if len(rows) >= 2 and any(len(found) >= 2 for found in columns) else None
    text_ink = ink & ~horizontal & ~vertical
    read_options = (
        read_lines_rapid
        if engine() == "rapidocr"
        else lambda crops: [read_region(c, single_line=True) for c in crops]
    )
    choices = choice_cells(grey, text_ink, grid, read_options) if grid else {}
    if engine() == "rapidocr":
        read_with_boxes(page, grey, text_ink, grid, choices)
    else:
        clean = Image.fromarray(np.where(text_ink, 0, 255).astype(np.uint8))
        if grid:
            page.tables.append(read_grid(clean, rows, columns, choices))
            left, right = grid_sides(columns)
            clean.paste(255, (left - 4, rows[0] - 4, right + 5, rows[-1] + 5))
        page.lines.extend(read_lines(clean))
    if page.lines and (match := FAX_HEADER.search(page.lines[0][0])):
        page.fax = {
            key: re.sub(r"\s+", " ", value).strip()
            for key, value in match.groupdict().items()
            if value
        }
        page.lines.pop(0)
    return page


@lru_cache(maxsize=1)
def _rapid():  # noqa: ANN202
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR()


def row_columns(vertical: np.ndarray, rows: list[int]) -> list[list[int]]:
    """The x of the vertical rules that cross each row (between two horizontal rules) from top
    to bottom: rows of a form divide differently (two fields in one row, one in the next), and
    a separator of one row must not cut the cells of another."""
    found = []
    for top, bottom in zip(rows, rows[1:], strict=False):
        inset = (bottom - top) // 6
        band = vertical[top + inset : bottom - inset]
        found.append(
            line_positions((band.mean(axis=0) >= 0.7)[np.newaxis, :], 1)
            if band.size and bottom - top >= 12
            else []
        )
    return found


def grid_sides(columns: list[list[int]]) -> tuple[int, int]:
    """The left and right edges of a grid whose rows divide differently."""
    return min(found[0] for found in columns if found), max(found[-1] for found in columns if found)


def cells_of(
    rows: list[int], columns: list[list[int]]
) -> Iterator[tuple[tuple[int, int], tuple[int, int, int, int]]]:
    """Each cell of a grid as ((row, column), its box inside the ruling); `columns` per row."""
    for row, (top, bottom) in enumerate(zip(rows, rows[1:], strict=False)):
        for column, (left, right) in enumerate(zip(columns[row], columns[row][1:], strict=False)):
            if bottom - top >= 12 and right - left >= 12:  # narrower: a double rule, not a cell
                yield (row, column), (left + 4, top + 4, right - 4, bottom - 4)


def choice_cells(
    grey: Image.Image,
    text_ink: np.ndarray,
    grid: tuple[list[int], list[list[int]]],
    read_options: Callable[[list[Image.Image]], list[tuple[str, float]]],
) -> dict[tuple[int, int], tuple[str, float]]:
    """The cells that hold check boxes, written out with their marks (`☑是 ☐否`)."""
    found = {}
    for cell, (left, top, right, bottom) in cells_of(*grid):
        ink = text_ink[top:bottom, left:right]
        boxes = checkboxes.find_boxes(ink)
        if checkboxes.is_choice(boxes):
            text, confidence = checkboxes.read_choices(
                grey.crop((left, top, right, bottom)), ink, boxes, read_options
            )
            if OPTION_WORDS.search(text):  # else the holes of a code's 0s and Os (`☐260 ☐C ☑06`)
                found[cell] = (text, confidence)
    return found


def read_lines_rapid(images: list[Image.Image]) -> list[tuple[str, float]]:
    """Lines of text, each an image of one line, recognised in one call (batched) without
    looking for text boxes first."""
    rapid = _rapid()
    crops = [
        rapid.preprocess(cv2.cvtColor(np.asarray(image.convert("L")), cv2.COLOR_GRAY2BGR))[0]
        for image in images
    ]
    found, _ = rapid.text_rec(crops)
    return [(tidy(text), float(confidence)) for text, confidence in found]


def read_with_boxes(
    page: OcrPage,
    grey: Image.Image,
    text_ink: np.ndarray,
    grid: tuple[list[int], list[list[int]]] | None,
    choices: dict[tuple[int, int], tuple[str, float]],
) -> None:
    """PP-OCR finds and reads the text lines of the whole page; each line goes to the grid cell
    its centre lies in, or, outside the grid, to the page's lines. Cells with check boxes come
    from `choices` instead, and so do lines outside the grid that hold check boxes."""
    found, _ = _rapid()(
        np.asarray(grey), use_cls=False
    )  # the page is upright already: no line is upside down
    boxes = [
        (text, float(confidence), [point[0] for point in box], [point[1] for point in box])
        for box, text, confidence in (found or [])
    ]
    cells: dict[tuple[int, int], list] = {}
    free = []
    rows, columns = grid or ([], [])
    for text, confidence, xs, ys in boxes:
        x, y = sum(xs) / 4, sum(ys) / 4
        row = max(
            (index for index, top in enumerate(rows[:-1]) if top < y < rows[-1]), default=None
        )
        sides = columns[row] if row is not None else []
        if len(sides) >= 2 and sides[0] < x < sides[-1]:
            column = max(index for index, left in enumerate(sides) if left < x)
            cells.setdefault((row, column), []).append((min(ys), min(xs), text, confidence))
        else:
            free.append((min(ys), min(xs), text, confidence, max(ys), max(xs)))
    if grid:
        cells.update(unread_cells(grey, text_ink, grid, set(cells) | set(choices)))
        table = []
        for row in range(len(rows) - 1):
            table.append(
                [
                    choices.get((row, column)) or _join(cells.get((row, column), []))
                    for column in range(len(columns[row]) - 1)
                ]
            )
        page.tables.append([row for row in table if any(text for text, _ in row)])
    for line in _by_line(free):
        page.lines.append(choice_line(grey, text_ink, line) or _join(line))


def unread_cells(
    grey: Image.Image,
    text_ink: np.ndarray,
    grid: tuple[list[int], list[list[int]]],
    read: set[tuple[int, int]],
) -> dict[tuple[int, int], list]:
    """The cells with writing in them where PP-OCR's detector found no line of text — most
    often a single character or figure in a narrow column (`片`, `5`, a header's `数量`), or
    faint strokes of a 98 dpi fax — each recognised as one line, the whole cell at once (the
    recogniser reads a faint character better with the space around it than cropped close),
    in one batched call. Specks and the stubs of rules are no writing (writing_in)."""
    found = [
        (cell, box)
        for cell, box in cells_of(*grid)
        if cell not in read and writing_in(text_ink[box[1] : box[3], box[0] : box[2]])
    ]
    if not found:
        return {}
    texts = read_lines_rapid([grey.crop(box) for _, box in found])
    return {
        cell: [(top, left, text, confidence)]
        for (cell, (left, top, _, _)), (text, confidence) in zip(found, texts, strict=True)
        if text and confidence >= UNREAD_CELL_CONFIDENCE
    }


def writing_in(ink: np.ndarray) -> bool:
    """A cell's ink holds a mark at least CELL_MARK of its height tall: writing, not specks."""
    if ink.size == 0 or ink.sum() < 20:
        return False
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    return any(
        stats[index][cv2.CC_STAT_HEIGHT] >= CELL_MARK * ink.shape[0]
        and stats[index][cv2.CC_STAT_AREA] >= 20
        for index in range(1, count)
    )


def asks_a_choice(text: str) -> bool:
    """The line starts (after its number) with the label of a field answered by a choice
    (`2.服务结果：`): only such a line has its boxes read, so a 回 in a customer's words is
    never taken for a ticked box."""
    from parsers.labels import load_table

    table = load_table()
    head = re.split(r"[:：]", QUESTION_NUMBER.sub("", text), maxsplit=1)[0][:12]
    return any(
        (field := table.field_for(head[:size])) and table.vocabulary_of(field)
        for size in range(len(head), 1, -1)
    )


def colon_at(line: list) -> float:
    """About where the first colon of a line is (0 when it has none), from the piece of text it
    is in: a Chinese character is taken twice as wide as a Latin one."""
    for _top, left, text, *_, right in sorted(line, key=lambda item: item[1]):
        if (at := min((text.find(colon) for colon in ":：" if colon in text), default=-1)) >= 0:
            widths = [1.0 if ord(char) > 0x2000 else 0.5 for char in text]
            return left + (right - left) * sum(widths[: at + 1]) / sum(widths)
    return 0.0


def choice_line(grey: Image.Image, text_ink: np.ndarray, line: list) -> tuple[str, float] | None:
    """A line of text outside any grid that asks a question with check boxes (`1.工作是否完成：
    ☐是 ☑否`, a form laid out without ruling): its words before the first box, then the boxes
    written out with their marks as in a cell; None when the line has no boxes."""
    if not asks_a_choice(_join(line)[0]):
        return None
    top, bottom = min(item[0] for item in line), max(item[4] for item in line)
    margin = int(0.3 * (bottom - top))
    top, bottom = max(0, int(top) - margin), min(text_ink.shape[0], int(bottom) + margin)
    ink = text_ink[top:bottom]
    boxes = checkboxes.find_boxes(ink, box_read=bool(BOX_AFTER_LABEL.search(_join(line)[0])))
    label_end = colon_at(line)
    boxes = [
        box for box in boxes if box.left > label_end - 1.5 * (box.bottom - box.top)
    ]  # a hole in a label's glyph (服) is no box
    if not checkboxes.is_choice(boxes) or boxes[0].left < 12:
        return None
    band = grey.crop((0, top, grey.width, bottom))
    choices, confidence = checkboxes.read_choices(band, ink, boxes, read_lines_rapid)
    if not OPTION_WORDS.search(choices):
        return None
    words, certainty = read_lines_rapid([band.crop((0, 0, boxes[0].left - 2, band.height))])[0]
    return f"{words} {choices}", min(confidence, certainty)


def _by_line(
    items: list[tuple[float, float, str, float]],
) -> list[list[tuple[float, float, str, float]]]:
    lines: list[list] = []
    for item in sorted(items):
        if lines and abs(item[0] - lines[-1][0][0]) < 20:
            lines[-1].append(item)
        else:
            lines.append([item])
    return lines


def _join(items: list[tuple[float, float, str, float]]) -> tuple[str, float]:
    """Pieces of text in reading order (top to bottom, left to right), with the lowest
    confidence; the lines of a cell apart by a newline (a label printed above its value is
    told from a value that wrapped by what the first line says: scan.label_above)."""
    if not items:
        return "", 1.0
    lines = [sorted(line, key=lambda item: item[1]) for line in _by_line(items)]
    text = "\n".join(tidy(" ".join(piece[2] for piece in line)) for line in lines)
    return text, min(piece[3] for line in lines for piece in line)


def read_grid(
    clean: Image.Image,
    rows: list[int],
    columns: list[int],
    choices: dict[tuple[int, int], tuple[str, float]],
) -> list[list[tuple[str, float]]]:
    heights = [bottom - top for top, bottom in zip(rows, rows[1:], strict=False)]
    usual = float(np.median(heights)) if heights else 0
    table: dict[int, list[tuple[str, float]]] = {}
    for (row, column), box in cells_of(rows, columns):
        if (row, column) in choices:
            cell = choices[(row, column)]
        elif not (np.asarray(crop := clean.crop(box)) < 128).any():
            cell = ("", 1.0)
        else:
            cell = read_region(crop, single_line=heights[row] < usual * 1.6)
        table.setdefault(row, [("", 1.0)] * (len(columns[row]) - 1))[column] = cell
    return [cells for _, cells in sorted(table.items()) if any(text for text, _ in cells)]


def read_lines(clean: Image.Image) -> list[tuple[str, float]]:
    """The text outside the grid, line by line, each with its own confidence."""
    import tesserocr

    api = _api()
    api.SetPageSegMode(tesserocr.PSM.SINGLE_BLOCK)
    api.SetImage(clean)
    api.Recognize()
    found = []
    iterator = api.GetIterator()
    level = tesserocr.RIL.TEXTLINE
    for line in tesserocr.iterate_level(iterator, level):
        text = line.GetUTF8Text(level)
        if text and text.strip():
            found.append((tidy(text), max(0.0, line.Confidence(level)) / 100))
    return found


def recognise(pages: list[tuple[Image.Image, tuple[float, float] | None]]) -> list[OcrPage]:
    """All pages, as many at a time as there are cores."""
    reason = available()
    if reason:
        raise OcrUnavailable(reason)
    workers = max(1, min(len(pages), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(
            pool.map(
                lambda item: recognise_page(item[1][0], item[1][1], item[0]),
                enumerate(pages, start=1),
            )
        )
