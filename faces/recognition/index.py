"""Exact nearest-subject search over all of a project's face descriptors.

One float32 matrix and a matrix-vector product: at 100,000 faces a search takes a few milliseconds on one
core (bench/faces.py), so no approximate index is needed at the sizes a project reaches. Rows are kept
grouped by label, so a subject's best face is one `np.minimum.reduceat` away, without a sort of all
distances.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

import numpy as np

from .similarity import similarity

DIMENSIONS = 128
MAGIC = b"ATLASFACEIDX"
VERSION = 1


@dataclass(frozen=True)
class Match:
    label: int  # the subject
    face_id: int  # the subject's face nearest the query
    distance: float  # Euclidean, between dlib descriptors
    similarity: float  # percent, similarity(distance)


class FaceIndex:
    """All of a project's embeddings as one float32 matrix, exact search by Euclidean distance.

    `ids` are face ids and `labels` subject ids, one per row of `embeddings`; a subject may have several
    faces, and a search answers with subjects, each by its nearest face.
    """

    def __init__(self, ids: np.ndarray, embeddings: np.ndarray, labels: np.ndarray):
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        labels = np.asarray(labels, dtype=np.int64).reshape(-1)
        embeddings = np.asarray(embeddings, dtype=np.float32).reshape(-1, DIMENSIONS)
        if not len(ids) == len(labels) == len(embeddings):
            raise ValueError(f"{len(ids)} ids, {len(labels)} labels and {len(embeddings)} embeddings: "
                             "one of each per face is needed")
        order = np.argsort(labels, kind="stable")
        self.ids, self.labels = ids[order], labels[order]
        self.embeddings = np.ascontiguousarray(embeddings[order])
        # |q - e|^2 = |q|^2 + |e|^2 - 2 q.e: the rows' squared norms once, then one product per search.
        self._norms = np.einsum("ij,ij->i", self.embeddings, self.embeddings)
        starts = np.flatnonzero(np.r_[True, self.labels[1:] != self.labels[:-1]]) if len(ids) else np.zeros(0, int)
        self._starts = starts
        self._subjects = self.labels[starts]

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def nbytes(self) -> int:
        return self.embeddings.nbytes + self.ids.nbytes + self.labels.nbytes + self._norms.nbytes

    def search(self, query: np.ndarray, *, k: int = 1, allowed_labels: np.ndarray | None = None) -> list[Match]:
        """The `k` subjects nearest `query` (a (128,) descriptor), nearest first, each by its best face;
        with `allowed_labels`, only those subjects are considered."""
        if len(self.ids) == 0 or k <= 0:
            return []
        query = np.asarray(query, dtype=np.float32).reshape(DIMENSIONS)
        squared = self._norms - 2.0 * (self.embeddings @ query) + float(query @ query)
        best = np.minimum.reduceat(squared, self._starts)
        if allowed_labels is not None:
            best = np.where(np.isin(self._subjects, np.asarray(allowed_labels, dtype=np.int64)), best, np.inf)
        count = min(k, int(np.isfinite(best).sum()))
        if count == 0:
            return []
        nearest = np.argpartition(best, count - 1)[:count] if count < len(best) else np.arange(len(best))
        nearest = nearest[np.argsort(best[nearest], kind="stable")]
        ends = np.r_[self._starts[1:], len(self.ids)]
        matches = []
        for group in nearest:
            start = self._starts[group]
            row = start + int(np.argmin(squared[start:ends[group]]))
            # Exactly, from the difference: the expanded form loses about 1e-3 to cancellation near 0.
            distance = float(np.linalg.norm(self.embeddings[row].astype(np.float64) - query))
            matches.append(Match(label=int(self.labels[row]), face_id=int(self.ids[row]), distance=distance,
                                 similarity=similarity(distance)))
        return matches

    def to_bytes(self) -> bytes:
        """A compact, versioned copy: a header and three .npy arrays, readable without pickle."""
        buffer = io.BytesIO()
        buffer.write(MAGIC + struct.pack("<H", VERSION))
        for array in (self.ids, self.labels, self.embeddings):
            np.save(buffer, array, allow_pickle=False)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> FaceIndex:
        header = len(MAGIC) + 2
        if len(data) < header or not data.startswith(MAGIC):
            raise ValueError("not a face index (FaceIndex.to_bytes)")
        (version,) = struct.unpack("<H", data[len(MAGIC):header])
        if version != VERSION:
            raise ValueError(f"face index version {version}; this code reads version {VERSION}: rebuild the index")
        buffer = io.BytesIO(data)
        buffer.seek(header)
        ids, labels, embeddings = (np.load(buffer, allow_pickle=False) for _ in range(3))
        return cls(ids, embeddings, labels)
