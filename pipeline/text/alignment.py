"""Offsets in cleaned text -> offsets in raw text.

Cleaning repairs and moves characters; every later table stores offsets into the cleaned
text, and researchers (and the PolNeAR scorer) need them in the raw text too. An
`Alignment` is a list of segments that tile the cleaned text in order: each says
"clean[cs:ce] was made from raw[rs:re]". A copy segment maps character for character; any
other segment maps as a block (its start to rs, its end to re). Deleted raw characters
simply fall between segments.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass


@dataclass(frozen=True)
class Segment:
    clean_start: int
    clean_end: int
    raw_start: int
    raw_end: int
    is_copy: bool


class AlignmentBuilder:
    """Builds the cleaned text and its alignment piece by piece."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._segments: list[Segment] = []
        self._length = 0

    @property
    def length(self) -> int:
        return self._length

    def copy(self, raw: str, raw_start: int, raw_end: int) -> None:
        """Append raw[raw_start:raw_end] unchanged."""
        if raw_end > raw_start:
            self._append(raw[raw_start:raw_end], raw_start, raw_end, True)

    def replace(self, text: str, raw_start: int, raw_end: int) -> None:
        """Append `text`, made from raw[raw_start:raw_end] (an empty raw range: inserted)."""
        if text:
            self._append(text, raw_start, raw_end, False)

    def _append(self, text: str, raw_start: int, raw_end: int, is_copy: bool) -> None:
        start = self._length
        self._parts.append(text)
        self._length += len(text)
        prev = self._segments[-1] if self._segments else None
        if is_copy and prev is not None and prev.is_copy and prev.clean_end == start and prev.raw_end == raw_start:
            self._segments[-1] = Segment(prev.clean_start, self._length, prev.raw_start, raw_end, True)
        else:
            self._segments.append(Segment(start, self._length, raw_start, raw_end, is_copy))

    def build(self) -> tuple[str, Alignment]:
        return "".join(self._parts), Alignment(self._segments)


class Alignment:
    """Maps clean offsets to raw offsets (see module docstring)."""

    def __init__(self, segments: list[Segment]):
        self.segments = segments
        self._starts = [s.clean_start for s in segments]

    def __len__(self) -> int:
        return len(self.segments)

    def _segment_at(self, offset: int) -> Segment | None:
        i = bisect.bisect_right(self._starts, offset) - 1
        return self.segments[i] if i >= 0 else None

    def raw_start(self, clean_offset: int) -> int:
        """Raw offset of the character that starts at clean_offset."""
        if not self.segments:
            return 0
        seg = self._segment_at(clean_offset)
        if seg is None:
            return self.segments[0].raw_start
        if clean_offset >= seg.clean_end:  # past the end of the text
            return seg.raw_end
        if seg.is_copy:
            return seg.raw_start + (clean_offset - seg.clean_start)
        return seg.raw_start

    def raw_end(self, clean_offset: int) -> int:
        """Raw offset just after the character that ends before clean_offset."""
        if not self.segments or clean_offset <= 0:
            return self.segments[0].raw_start if self.segments else 0
        seg = self._segment_at(clean_offset - 1)
        if seg is None:
            return self.segments[0].raw_start
        if seg.is_copy:
            return seg.raw_start + (clean_offset - seg.clean_start)
        return seg.raw_end

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        rs, re_ = self.raw_start(start), self.raw_end(end)
        return (rs, max(rs, re_))

    def rows(self) -> list[tuple[int, int, int, int, int, bool]]:
        """(segment_no, clean_start, clean_end, raw_start, raw_end, is_copy) rows."""
        return [(i, s.clean_start, s.clean_end, s.raw_start, s.raw_end, s.is_copy) for i, s in enumerate(self.segments)]

    @classmethod
    def from_rows(cls, rows) -> Alignment:
        return cls([Segment(cs, ce, rs, re_, bool(cp)) for cs, ce, rs, re_, cp in rows])


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """`text[start:end]` without the white space at either end, as offsets."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
