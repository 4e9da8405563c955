"""What a check-in or a search may ask in the seed's open `condition` object, and the check-in's `option`.

condition (every key optional; any other key is refused, naming the valid ones):
- group_id:       an integer or a list of integers: only people with one of these `group_id`s are candidates.
- status:         a string or a list of strings: only people with one of these statuses are candidates
                  (e.g. "APPROVED", so an unapproved visitor is never checked in).
- single_face:    true refuses a photo with more than one face (409) instead of taking the largest.
- min_similarity: a number 0-100: a stricter (or looser) threshold than the project's for this request.
option (check-in only): an integer 1-10, how many best candidates to list in the answer's `candidates`.
"""

from dataclasses import dataclass

from core.errors import Invalid

KEYS = ("group_id", "status", "single_face", "min_similarity")
MAX_CANDIDATES = 10


@dataclass(frozen=True)
class Condition:
    group_ids: tuple[int, ...] | None = None
    statuses: tuple[str, ...] | None = None
    single_face: bool = False
    min_similarity: float | None = None

    @classmethod
    def parse(cls, value):
        """The Condition a request's `condition` asks for; None or {} asks for nothing."""
        if value is None:
            return cls()
        if not isinstance(value, dict):
            raise Invalid("condition must be a JSON object, e.g. {\"status\": \"APPROVED\"}.")
        unknown = sorted(set(value) - set(KEYS))
        if unknown:
            raise Invalid(f"condition has unknown key(s) {', '.join(unknown)}; the valid keys are {', '.join(KEYS)}.")
        return cls(
            group_ids=_many(value, "group_id", int, "an integer or a list of integers"),
            statuses=_many(value, "status", str, "a string or a list of strings"),
            single_face=_boolean(value.get("single_face", False)),
            min_similarity=_percent(value.get("min_similarity")),
        )

    @property
    def restricts(self):
        return self.group_ids is not None or self.statuses is not None

    def subjects(self, queryset):
        """`queryset` of Subjects narrowed to the candidates this condition allows."""
        if self.group_ids is not None:
            queryset = queryset.filter(group_id__in=self.group_ids)
        if self.statuses is not None:
            queryset = queryset.filter(status__in=self.statuses)
        return queryset


def parse_candidates(option):
    """The check-in's `option`: how many candidates to list (None: the seed's answer, with no list)."""
    if option is None:
        return None
    if isinstance(option, bool) or not isinstance(option, int) or not 1 <= option <= MAX_CANDIDATES:
        raise Invalid(f"option must be an integer from 1 to {MAX_CANDIDATES}: how many best candidates to list.")
    return option


def _many(value, key, kind, description):
    if key not in value:
        return None
    items = value[key] if isinstance(value[key], list) else [value[key]]
    if not items or any(isinstance(item, bool) or not isinstance(item, kind) for item in items):
        raise Invalid(f"condition.{key} must be {description}.")
    return tuple(items)


def _boolean(value):
    if not isinstance(value, bool):
        raise Invalid("condition.single_face must be true or false.")
    return value


def _percent(value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise Invalid("condition.min_similarity must be a number from 0 to 100 (percent).")
    return float(value)
