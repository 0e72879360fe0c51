"""A semantic layer learned from the community's own posts: latent semantic analysis (TF-IDF, then
scikit-learn's TruncatedSVD), trained when the search index is rebuilt.

Two questions that share few words but whose words keep the same company in this community
("badge" and "reputation", "qubit" and "superposition") end up close in the reduced space. The
layer only re-ranks the pool a backend found (similar.features); it stores no vector per document:
a candidate's vector is its TF-IDF weights projected at query time, so posts written after the
rebuild are covered too (words first seen after it count only in the pool's own cosine).

On disk, in the search index folder (SEARCH_INDEX_DIR, for either backend): `SEMANTIC` names the
live layer's folder, which a rebuild replaces whole. In it: `basis.npy` (terms x dimensions, float32, memory-mapped: a worker touches only
the rows of the words it projects), `idf.npy` and `terms.txt` (one term a line, in row order).
"""
from __future__ import annotations

import math
import os
import random
import shutil
import threading
import time
import uuid
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from . import similar

DIMENSIONS = 200  # chosen by bench/relevance_bench.py (100 or 200)
# Posts the layer is trained on, drawn evenly from the whole community (a reservoir) above that.
SAMPLE = 30_000
MAX_TERMS = 60_000
MIN_DOCS = 2  # a word in fewer posts than this is left out
MIN_CORPUS = 50  # below this many posts there is nothing to learn
SEED = 7


class SemanticModel:
    def __init__(self, vocabulary: dict[str, int], idf: np.ndarray, basis: np.ndarray) -> None:
        self.vocabulary = vocabulary
        self.idf = idf
        self.basis = basis

    @property
    def dimensions(self) -> int:
        return int(self.basis.shape[1])

    def vectors(self, weighted: list[dict[str, float]]) -> np.ndarray:
        """Unit rows in the reduced space, one per {term: weight}; a row of zeros when no term is
        known. One sparse product for all rows: the basis rows of the words used are all it reads."""
        from scipy import sparse

        vocabulary = self.vocabulary
        columns: list[int] = []
        values: list[float] = []
        starts = [0]
        for found in weighted:
            for term, weight in found.items():
                column = vocabulary.get(term)
                if column is not None:
                    columns.append(column)
                    values.append(weight)
            starts.append(len(columns))
        if not columns:
            return np.zeros((len(weighted), self.dimensions), dtype=np.float32)
        cols = np.asarray(columns, dtype=np.int32)
        # A projection is linear and each result is normalised: the TF-IDF rows need not be.
        matrix = sparse.csr_matrix((np.asarray(values, dtype=np.float32) * self.idf[cols], cols, starts),
                                   shape=(len(weighted), len(self.idf)))
        out = np.asarray(matrix @ self.basis, dtype=np.float32)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)

    def similarities(self, question: dict[str, float], texts: list[dict[str, float]]) -> list[float]:
        """Cosine of the question with each text in the reduced space."""
        matrix = self.vectors([question, *texts])
        return (matrix[1:] @ matrix[0]).tolist()

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        ordered = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        (folder / "terms.txt").write_text("\n".join(ordered) + "\n", encoding="utf-8")
        np.save(folder / "idf.npy", self.idf.astype(np.float32))
        np.save(folder / "basis.npy", np.ascontiguousarray(self.basis, dtype=np.float32))

    @classmethod
    def load(cls, folder: Path) -> "SemanticModel | None":
        try:
            words = (folder / "terms.txt").read_text(encoding="utf-8").split("\n")[:-1]
            idf = np.load(folder / "idf.npy")
            basis = np.load(folder / "basis.npy", mmap_mode="r")
        except (OSError, ValueError):
            return None
        if len(words) != len(idf) or basis.shape[0] != len(words):
            return None
        return cls({word: n for n, word in enumerate(words)}, idf, basis)

    def size_bytes(self) -> int:
        return int(self.basis.nbytes + self.idf.nbytes + sum(len(w) + 1 for w in self.vocabulary))


class Sampler:
    """Keeps an even sample of at most `size` items from a stream (reservoir sampling)."""

    def __init__(self, size: int = SAMPLE, seed: int = SEED) -> None:
        self.size = size
        self.seen = 0
        self.kept: list[dict[str, float]] = []
        self._random = random.Random(seed)

    def add(self, item) -> None:
        self.seen += 1
        if len(self.kept) < self.size:
            self.kept.append(item)
            return
        slot = self._random.randrange(self.seen)
        if slot < self.size:
            self.kept[slot] = item

    def passing(self, docs: Iterable) -> Iterator:
        """The SearchDocs of `docs`, unchanged, sampling each one's title and opening text."""
        for doc in docs:
            self.add((doc.title, doc.body[: similar.TEXT_CHARS]))
            yield doc


def train(weighted: Iterable[dict[str, float]], dimensions: int = DIMENSIONS) -> SemanticModel | None:
    """Fit the layer on posts given as {term: weight} (similar.weights of title and body)."""
    from scipy import sparse
    from sklearn.decomposition import TruncatedSVD

    posts = list(weighted)
    if len(posts) < MIN_CORPUS:
        return None
    frequency: dict[str, int] = {}
    for found in posts:
        for term in found:
            frequency[term] = frequency.get(term, 0) + 1
    kept = sorted((term for term, n in frequency.items() if n >= MIN_DOCS), key=lambda t: (-frequency[t], t))
    vocabulary = {term: n for n, term in enumerate(kept[:MAX_TERMS])}
    if len(vocabulary) <= dimensions:
        dimensions = max(2, len(vocabulary) // 2)
    total = len(posts)
    idf = np.array([math.log((total + 1) / (frequency[t] + 1)) + 1 for t in vocabulary], dtype=np.float32)
    rows, cols, values = [], [], []
    for row, found in enumerate(posts):
        for term, weight in found.items():
            column = vocabulary.get(term)
            if column is not None:
                rows.append(row)
                cols.append(column)
                values.append(weight * idf[column])
    matrix = sparse.csr_matrix((values, (rows, cols)), shape=(total, len(vocabulary)), dtype=np.float32)
    norms = np.sqrt(matrix.multiply(matrix).sum(axis=1)).A1
    matrix = sparse.diags(1 / np.where(norms > 0, norms, 1)) @ matrix
    svd = TruncatedSVD(n_components=dimensions, algorithm="randomized", n_iter=5, random_state=SEED)
    svd.fit(matrix)
    return SemanticModel(vocabulary, idf, svd.components_.T.astype(np.float32))


class LayerStore:
    """The live layer of one search index folder, swapped whole by a rebuild and loaded once per
    process per version (memory-mapped)."""

    POINTER = "SEMANTIC"

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()
        self._loaded: tuple[str | None, SemanticModel | None] = (None, None)

    def _name(self) -> str | None:
        try:
            return (self.root / self.POINTER).read_text().strip() or None
        except OSError:
            return None

    def current(self) -> SemanticModel | None:
        name = self._name()
        if name is None:
            return None
        loaded_name, model = self._loaded
        if loaded_name != name:
            with self._lock:
                model = SemanticModel.load(self.root / name)
                self._loaded = (name, model)
        return model

    def replace(self, sampler: Sampler) -> SemanticModel | None:
        """Train on the sample, write the new layer beside the old and point at it (or at none
        when there was too little to learn from), then remove the old one."""
        model = train(similar.weights(title, body) for title, body in sampler.kept)
        old = self._name()
        self.root.mkdir(parents=True, exist_ok=True)
        name = ""
        if model is not None:
            name = f"semantic-{int(time.time())}-{uuid.uuid4().hex[:6]}"
            model.save(self.root / name)
        pointer = self.root / f"{self.POINTER}.{uuid.uuid4().hex}"
        pointer.write_text(name)
        os.replace(pointer, self.root / self.POINTER)
        if old and old != name:
            # Workers that mapped the old files keep them open (POSIX) until they reload.
            shutil.rmtree(self.root / old, ignore_errors=True)
        return model
