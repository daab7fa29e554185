"""How far a scanned page is tilted, from two witnesses that fail differently: the form's ruling
(long straight lines, found by a probabilistic Hough transform) and its text lines (the angle
at which the rows of ink are sharpest — a projection profile). Ruling is precise to a twentieth
of a degree but a page may have none; text lines are always there but blur over a tilt of a
few tenths. When both speak and agree, the ruling's angle is taken; when they disagree, the
one that makes the page's rows sharper wins.

Angles are in degrees, counter-clockwise (PIL's `rotate`): rotating the page by the returned
angle levels it. Holds to ±MAX_TILT.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

MAX_TILT = 7.0  # a fax fed crooked rarely leans more; beyond, rows of text alias with each other
PROFILE_SCALE = 4  # the text-line witness looks at the page at a quarter of its size
RULING_SCALE = 2
MIN_RULE = 0.25  # a rule runs at least this share of the page's width
MAX_SEGMENTS = 24  # the longest rules are enough to fit the angle
AGREE = 0.6  # degrees: the two witnesses agree within this


def skew_angle(ink: np.ndarray) -> float:
    """The rotation that levels a page whose ink (True) is given."""
    small = shrink(ink, PROFILE_SCALE)
    coarse = halved(small)
    rough = max(np.arange(-MAX_TILT, MAX_TILT + 0.01, 0.5), key=lambda a: sharpness(coarse, a))
    rules = ruling_angle(ink)
    if rules is not None and abs(rules - rough) <= AGREE:
        return rules
    profile = profile_angle(small, rough)
    if rules is None or sharpness(small, profile) > sharpness(small, rules):
        return profile
    return rules


def shrink(ink: np.ndarray, factor: int) -> Image.Image:
    return Image.fromarray(ink.astype(np.uint8) * 255).resize(
        (max(1, ink.shape[1] // factor), max(1, ink.shape[0] // factor)), Image.Resampling.BOX
    )


def halved(small: Image.Image) -> Image.Image:
    return small.resize((max(1, small.width // 2), max(1, small.height // 2)), Image.Resampling.BOX)


def sharpness(small: Image.Image, angle: float) -> float:
    """How sharp the rows of ink are after rotating by `angle`: the variance of the row sums."""
    return float(
        np.var(
            np.asarray(
                small.rotate(angle, resample=Image.Resampling.BILINEAR), dtype=np.float32
            ).sum(axis=1)
        )
    )


def profile_angle(small: Image.Image, rough: float) -> float:
    """The text-line witness, refined from a rough angle (0.5° steps) in 0.1° then 0.025° steps."""
    best = max(np.arange(rough - 0.5, rough + 0.51, 0.1), key=lambda a: sharpness(small, a))
    best = max(np.arange(best - 0.1, best + 0.11, 0.025), key=lambda a: sharpness(small, a))
    return round(float(best), 3)


def ruling_angle(ink: np.ndarray) -> float | None:
    """The ruling witness: the length-weighted median angle of the long, nearly level lines,
    or None when the page has fewer than two."""
    small = (np.asarray(shrink(ink, RULING_SCALE)) > 96).astype(np.uint8)
    width = small.shape[1]
    # Keep only long level strokes (text goes): thickened so that a tilted rule stays one run.
    thick = cv2.dilate(small, np.ones((3, 1), np.uint8))
    level = cv2.morphologyEx(thick, cv2.MORPH_OPEN, np.ones((1, max(15, width // 40)), np.uint8))
    found = cv2.HoughLinesP(
        level,
        2,
        np.pi / 360,
        threshold=max(50, width // 6),
        minLineLength=int(width * MIN_RULE),
        maxLineGap=max(4, width // 150),
    )
    if found is None:
        return None
    ys, xs = np.nonzero(level)
    segments = sorted(found.reshape(-1, 4).astype(float), key=lambda s: -abs(s[2] - s[0]))[
        :MAX_SEGMENTS
    ]
    angles, weights = [], []
    for x1, y1, x2, y2 in segments:
        if x2 == x1 or abs(np.degrees(np.arctan2(y2 - y1, x2 - x1))) > MAX_TILT:
            continue
        slope = fitted_slope(xs, ys, (x1, y1, x2, y2))
        angles.append(
            float(np.degrees(np.arctan(slope)))
        )  # image y grows downwards: levelled counter-clockwise
        weights.append(float(np.hypot(x2 - x1, y2 - y1)))
    if len(angles) < 2:
        return None
    order = np.argsort(angles)
    cumulative = np.cumsum(np.asarray(weights)[order])
    return round(
        float(np.asarray(angles)[order][np.searchsorted(cumulative, cumulative[-1] / 2)]), 3
    )


def fitted_slope(
    xs: np.ndarray, ys: np.ndarray, segment: tuple[float, float, float, float]
) -> float:
    """The slope of the rule a Hough segment lies on, fitted to the rule's own pixels: Hough's
    angles come in coarse steps, the pixels give a twentieth of a degree."""
    x1, y1, x2, y2 = segment
    slope = (y2 - y1) / (x2 - x1)
    near = (xs >= x1) & (xs <= x2) & (np.abs(ys - (y1 + slope * (xs - x1))) <= 6)
    if near.sum() < 10:
        return slope
    return float(np.polyfit(xs[near], ys[near], 1)[0])
