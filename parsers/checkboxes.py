"""Check boxes on a scanned form. A recogniser reads the words beside the boxes but drops the
boxes themselves, so which option was ticked is lost; here the boxes are found in the image of
a grid cell, and the cell is written out again the way a typed form writes it (`☑是 ☐否`),
for the same check-box reading as text documents (normalise.checked_text).

A box is a closed, straight-sided hole in the ink about the height of the text. It is ticked
when there is ink inside it (a ✓, ✗ or a filled box), or when it is much narrower than a
square: a sender's font without the ☑ glyph draws a narrow blank box in its place, and the
empty ☐ beside it stays square. A tick drawn across a box's sides splits its hole; such a box
is found by its outline, as large as the form's empty boxes and inked all round.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

CHECKED, UNCHECKED = "☑", "☐"
TICK_READ = re.compile(
    r"^[1lI|/\\:：.,'`]+(?=[\u4e00-\u9fff])"
)  # the end of a tick read before an option's words
CLOSE_GAPS = np.ones((5, 5), np.uint8)  # joins the breaks a fax puts into a box's sides
HEIGHT = (0.3, 0.9)  # a box's height as a share of its cell's
ASPECT = (0.25, 1.6)  # width / height of anything taken for a box
STRAIGHT = 0.85  # this share of a hole's columns and rows run (nearly) its full height and width
NARROW = 0.75  # a box narrower than this (width / height) is a ticked glyph drawn blank
GLYPH_HOLE = (
    0.15  # a hole right after a box whose height differs by more than this share is a character's
)
INK_INSIDE = 0.04  # a box with more ink than this inside is ticked
MAX_OPTIONS = 12
GAP = 0.6  # an option's words end at a blank run this many box heights wide


@dataclass(frozen=True)
class Box:
    left: int
    right: int
    top: int
    bottom: int
    ticked: bool


def find_boxes(ink: np.ndarray, box_read: bool = False) -> list[Box]:
    """The check boxes in a cell's ink (True = ink, ruling removed), left to right: the clean
    holes first, then the outlines of the same size whose hole a hand-drawn tick has split.
    `box_read`: the recogniser read a box (`口`) after a label here, so one empty box may be
    a question's even when words come before it."""
    closed = cv2.morphologyEx(ink.astype(np.uint8), cv2.MORPH_CLOSE, CLOSE_GAPS)
    contours, hierarchy = cv2.findContours(closed, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return []
    holes, outlines = [], []
    for contour, (_, _, _, parent) in zip(contours, hierarchy[0], strict=True):
        x, y, width, height = cv2.boundingRect(contour)
        if not (
            HEIGHT[0] * ink.shape[0] <= height <= HEIGHT[1] * ink.shape[0]
            and ASPECT[0] <= width / height <= ASPECT[1]
        ):
            continue
        if parent >= 0 and straight_sided(contour, x, y, width, height):
            inside = ink[y + 2 : y + height - 2, x + 2 : x + width - 2]
            ticked = width / height < NARROW or (
                inside.size > 0 and float(inside.mean()) > INK_INSIDE
            )
            holes.append(Box(x, x + width, y, y + height, ticked))
        elif parent < 0 and framed(closed[y : y + height, x : x + width]):
            outlines.append(Box(x, x + width, y, y + height, ticked=True))
    boxes = without_glyph_holes(
        holes
        + [
            box
            for box in outlines
            if any(same_size(box, hole) for hole in holes)
            and not any(overlaps(box, hole) for hole in holes)
        ]
    )
    if holes and is_choice(boxes):  # a row of boxes already: look for the ones a tick hid
        boxes += frames_like(closed, ink, holes[0], boxes)
    elif (
        len(holes) == 1 and not holes[0].ticked
    ):  # one empty box: its twin's tick may hide the other
        found = boxes + frames_like(closed, ink, holes[0], boxes)
        if is_choice(found) and (
            box_read or starts_the_ink(ink, min(found, key=lambda box: box.left))
        ):
            boxes = found  # a question's boxes come first in its cell; a 口 inside words does not
    return sorted(boxes, key=lambda box: box.left)


def without_glyph_holes(holes: list[Box]) -> list[Box]:
    """The boxes without the holes and outlines of an option's first character (很, 回) found
    right after its box: closer to the box before than a box is wide, and of another height.
    The holes of a code's letters and digits (`0064`) are alike in size and stay, to be told
    apart as a code (is_choice)."""
    kept: list[Box] = []
    for hole in sorted(holes, key=lambda box: box.left):
        before = kept[-1] if kept else None
        height = before.bottom - before.top if before else 0
        if (
            before
            and hole.left - before.right < before.right - before.left
            and abs((hole.bottom - hole.top) - height) > GLYPH_HOLE * height
        ):
            continue
        kept.append(hole)
    return kept


def starts_the_ink(ink: np.ndarray, box: Box) -> bool:
    """Nothing is written left of the box on its line (a speck or two aside)."""
    return int(ink[box.top : box.bottom, : max(0, box.left - 2)].any(axis=0).sum()) <= 2


def frames_like(closed: np.ndarray, ink: np.ndarray, hole: Box, found: list[Box]) -> list[Box]:
    """Boxes the size of a found box's hole, on its line, that neither a hole nor an outline
    gave: a hand-drawn tick that overshoots a box joins its strokes to the box's, so that
    box is found only by its four sides — inked columns left and right of a hole-sized gap,
    inked rows above and below it. Each is ticked: only a tick hides a box that way."""
    width = hole.right - hole.left
    top, bottom = hole.top, hole.bottom
    if top < 3 or bottom + 3 > closed.shape[0] or width < 4:
        return []
    band = closed[top:bottom]
    side = band.mean(axis=0) >= STRAIGHT
    above = np.concatenate([[0], np.cumsum(closed[top - 3 : top].any(axis=0))])
    below = np.concatenate([[0], np.cumsum(closed[bottom : bottom + 3].any(axis=0))])
    boxes: list[Box] = []
    for left in range(3, closed.shape[1] - width - 3):
        right = left + width
        if not (side[left - 3 : left].any() and side[right : right + 3].any()):
            continue
        if min(above[right] - above[left], below[right] - below[left]) < STRAIGHT * width:
            continue
        box = Box(left, right, top, bottom, ticked=True)
        if not any(overlaps(box, other) for other in [*found, *boxes]):
            inside = ink[top + 2 : bottom - 2, left + 2 : right - 2]
            boxes.append(
                Box(
                    left,
                    right,
                    top,
                    bottom,
                    ticked=inside.size > 0 and float(inside.mean()) > INK_INSIDE,
                )
            )
    return boxes


def framed(shape: np.ndarray) -> bool:
    """Ink all along the four edges of its bounding rectangle, as a box's sides are."""
    edge = max(3, round(0.15 * min(shape.shape)))
    sides = (
        shape[:, :edge].any(axis=1),
        shape[:, -edge:].any(axis=1),
        shape[:edge].any(axis=0),
        shape[-edge:].any(axis=0),
    )
    return all(side.mean() >= STRAIGHT for side in sides)


def same_size(one: Box, other: Box) -> bool:
    """Alike within a third: an outline around a box's hole is a stroke's width larger."""
    return (
        abs((one.right - one.left) - (other.right - other.left))
        <= 0.33 * (other.right - other.left) + 6
        and abs((one.bottom - one.top) - (other.bottom - other.top))
        <= 0.33 * (other.bottom - other.top) + 6
    )


def overlaps(one: Box, other: Box) -> bool:
    return one.left < other.right and other.left < one.right


def straight_sided(contour: np.ndarray, x: int, y: int, width: int, height: int) -> bool:
    """A box's hole has straight sides: nearly every column of it runs the hole's full height
    and every row its full width. The hole of a 0, 8 or 口-like stroke of a digit is rounder."""
    hole = np.zeros((height, width), np.uint8)
    cv2.drawContours(hole, [contour - [x, y]], -1, 1, thickness=cv2.FILLED)
    columns, rows = hole.sum(axis=0), hole.sum(axis=1)
    return bool(
        (columns >= 0.8 * height).mean() >= STRAIGHT and (rows >= 0.8 * width).mean() >= STRAIGHT
    )


def is_choice(boxes: list[Box]) -> bool:
    """Two boxes or more, or one ticked: a lone empty square may be a character such as 口.
    More than MAX_OPTIONS is a pattern (squared paper), not a question: each would be read.
    Options have their words between them: boxes side by side are the holes of letters and
    digits (`0064`, `OB`) in a code."""
    ordered = sorted(boxes, key=lambda box: box.left)
    apart = all(
        after.left - before.right >= before.right - before.left
        for before, after in zip(ordered, ordered[1:], strict=False)
    )
    return (
        (len(boxes) >= 2 or any(box.ticked for box in boxes))
        and len(boxes) <= MAX_OPTIONS
        and apart
    )


def option_end(ink: np.ndarray, start: int, stop: int, height: int) -> int:
    """Where the words after a box end: at the next box, or at a wide blank gap."""
    columns = ink[:, start:stop].any(axis=0)
    seen, blank = False, 0
    for offset, inked in enumerate(columns):
        if inked:
            seen, blank = True, 0
        elif seen:
            blank += 1
            if blank >= GAP * height:
                return start + offset - blank + 1
    return stop


def read_choices(
    image: Image.Image,
    ink: np.ndarray,
    boxes: list[Box],
    read: Callable[[list[Image.Image]], list[tuple[str, float]]],
) -> tuple[str, float]:
    """The cell as `☑words ☐words …`, each option's words read on their own (all of a cell's in
    one call of the recogniser), with the lowest confidence. `image` and `ink` are the same
    cell; `read` recognises a list of one-line images."""
    crops: dict[int, Image.Image] = {}
    for index, box in enumerate(boxes):
        stop = boxes[index + 1].left if index + 1 < len(boxes) else ink.shape[1]
        end = option_end(ink, box.right + 1, stop, box.bottom - box.top)
        if end - box.right > 4:
            crops[index] = image.crop((box.right + 2, 0, min(ink.shape[1], end + 4), ink.shape[0]))
    words = {
        index: (TICK_READ.sub("", text), certainty)
        for index, (text, certainty) in zip(crops, read(list(crops.values())), strict=True)
    }
    parts = [
        (CHECKED if box.ticked else UNCHECKED) + words.get(index, ("", 1.0))[0]
        for index, box in enumerate(boxes)
    ]
    return " ".join(parts), min((certainty for _, certainty in words.values()), default=1.0)
