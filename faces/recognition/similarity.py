"""Distance between two dlib descriptors as a percentage a person can read, and the match threshold.

similarity(d) = 100 / (1 + exp((d - MIDPOINT) / WIDTH)), a logistic map: 100 % for identical descriptors,
50 % at MIDPOINT, falling fastest where people's own photos end and strangers begin. The measurements
behind MIDPOINT, WIDTH and DEFAULT_THRESHOLD are in faces/recognition/__init__.py: the same person's photos
lay at most 0.545 apart (89 %), the nearest stranger at least 0.655 (48 %), and dlib's customary 0.6 sits
at 73 %. The threshold of 75 % is distance 0.595: the middle of that gap.
"""

from __future__ import annotations

import math

MIDPOINT = 0.65
WIDTH = 0.05
DEFAULT_THRESHOLD = 75.0  # percent; a match needs similarity >= DEFAULT_THRESHOLD (distance <= 0.595)


def similarity(distance: float) -> float:
    """Percent 0..100 (rounded to 0.1), decreasing as the Euclidean distance between descriptors grows."""
    exponent = (float(distance) - MIDPOINT) / WIDTH
    if exponent > 700:  # exp would overflow; the percentage is 0 long before
        return 0.0
    return round(100.0 / (1.0 + math.exp(exponent)), 1)


def distance_for(similarity_percent: float) -> float:
    """The distance at which `similarity` gives `similarity_percent`: the inverse map, for turning a
    threshold in percent into one on distances. 100 % and above is distance 0; 0 % and below is infinity."""
    percent = float(similarity_percent)
    if percent >= 100.0:
        return 0.0
    if percent <= 0.0:
        return math.inf
    return max(0.0, MIDPOINT + WIDTH * math.log(100.0 / percent - 1.0))
