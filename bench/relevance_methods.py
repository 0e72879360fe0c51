"""Methods with choices to make, for bench/relevance_bench.py: each choice (weights, the semantic
layer's size) is made on one meta fold and scored on the other; quantumcomputing is scored with
the choice made on both meta folds together, never on itself.

The backend's candidate pool (`similar_candidates`) is asked once per query; the features of each
candidate (similar.features) once per semantic layer; only the blend is tried grid-wide.
"""
from __future__ import annotations

import itertools
import time
from contextlib import contextmanager

from community.search import semantic as semantic_layer
from community.search import similar as similar_rank

ENGINE = (0.0, 0.2, 0.35, 0.5, 0.8)
SEMANTIC = (0.25, 0.5, 1.0, 1.5, 2.0)
TITLE = (0.0, 0.25, 0.5, 1.0)
DIMENSIONS = (100, 200)
# Query handling variants: the stop list and whether codes count whole (similar.terms).
STOP_LISTS: dict = {}
POOLS: dict = {}  # (backend, corpus, query, kind) -> the backend's candidates, asked once
WEIGHTS: dict = {}  # (corpus, query handling) -> thread id -> its text's weights


def _bench():
    from bench import relevance_bench

    return relevance_bench


class Tuned:
    """One family of settings: semantic layers to try (dimensions -> trained per corpus; None: no
    layer) and a grid of (engine, semantic) weights."""

    def __init__(self, name: str, dimensions: tuple, grid: list, handling: tuple = (("question words", True),)):
        self.name = name
        self.dimensions = dimensions
        self.grid = [similar_rank.Blend(*weights) for weights in grid]
        self.handling = handling
        self._features: dict = {}
        self._layers: dict = {}  # (corpus, dims) -> model
        self._corpora: dict = {}
        self._chosen: dict = {}

    def _layer(self, corpus, dims, handling):
        if dims is None:
            return None
        if (corpus.name, dims, handling) not in self._layers:
            start = time.perf_counter()
            weighted = [similar_rank.weights(title, body) for title, body in corpus.docs]
            model = semantic_layer.train(weighted, dims)
            self._layers[(corpus.name, dims, handling)] = model
            print(f"  LSA {dims} {handling} on {corpus.name}: {len(weighted):,} posts, {len(model.vocabulary):,} terms, "
                  f"{model.size_bytes() / 1e6:.1f} MB, trained in {time.perf_counter() - start:.1f} s", flush=True)
        return self._layers[(corpus.name, dims, handling)]

    def _found(self, corpus, query, kind: str, variant, backend):
        handling, dims = variant
        key = (corpus.name, query.source, kind, variant)
        if key not in self._features:
            bench = _bench()
            title, body = bench.question(corpus, query, kind)
            pool = self._pool(corpus, query, kind, backend)
            known = WEIGHTS.setdefault((corpus.name, handling), {})
            with _handling(handling):
                self._features[key] = similar_rank.features(title, body, pool, self._layer(corpus, dims, handling), known)
        return self._features[key]

    def _pool(self, corpus, query, kind, backend):
        key = (backend.name, corpus.name, query.source, kind)
        if key not in POOLS:
            bench = _bench()
            POOLS[key] = backend.similar_candidates(*bench.question(corpus, query, kind), bench.ANONYMOUS)
        return POOLS[key]

    def _figures(self, corpus, queries, setting, kinds, backend):
        bench = _bench()
        variant, blend = setting
        out = {}
        for kind in kinds:
            ranks = []
            for query in queries:
                ordered = similar_rank.order(self._found(corpus, query, kind, variant, backend), bench.TOP + 1, blend)
                ranks.append(bench.rank_of(query, [c.thread_id - 1 for _s, c in ordered]))
            out[kind] = bench.scores(ranks)
        return out

    def choose(self, corpus, queries, backend) -> tuple:
        """The setting with the best mean recall@5 of title and title + body queries (ties: the first)."""
        key = (corpus.name, tuple(q.source for q in queries))
        if key not in self._chosen:
            self._chosen[key] = self._choose(corpus, queries, backend)
        return self._chosen[key]

    def _choose(self, corpus, queries, backend) -> tuple:
        bench = _bench()
        best, best_score = None, -1.0
        variants = list(itertools.product(self.handling, self.dimensions))
        for setting in itertools.product(variants, self.grid):
            figures = self._figures(corpus, queries, setting, bench.KINDS, backend)
            score = sum(figures[k]["R@5"] for k in bench.KINDS) / len(bench.KINDS)
            if score > best_score + 1e-9:
                best, best_score = setting, score
        return best

    def rows(self, corpus, eval_set, queries, backend):
        bench = _bench()
        self._corpora[corpus.name] = corpus
        if eval_set.tuned:
            other = [s for s in corpus.sets if s.tuned and s.name != eval_set.name]
            setting = self.choose(corpus, bench._limited([q for s in other for q in s.queries]), backend)
            where = "chosen on " + ", ".join(s.name for s in other)
        else:
            # Every meta query's features were kept while the meta folds ran: no backend is asked.
            meta = self._corpora["meta"]
            setting = self.choose(meta, [q for s in meta.sets if s.tuned for q in bench._limited(s.queries)], None)
            where = "chosen on both meta folds"
        figures = self._figures(corpus, queries, setting, bench.KINDS, backend)
        return [bench.Row(eval_set.name, len(queries), self.name, backend.name, figures, note=_note(setting, where))]

def _note(setting, where: str) -> str:
    ((stop, codes), dims), blend = setting
    layer = f", LSA {dims} dimensions" if dims else ""
    return (f"engine {blend.engine}, title {blend.title}, semantic {blend.semantic}{layer}; stop list {stop}, "
            f"codes {'whole' if codes else 'split'}; {where}")


def _english() -> frozenset:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


@contextmanager
def _handling(handling):
    stop, codes = handling
    saved = similar_rank.STOP_WORDS, similar_rank.KEEP_CODES
    similar_rank.STOP_WORDS, similar_rank.KEEP_CODES = STOP_LISTS[stop], codes
    similar_rank._stem.cache_clear()
    try:
        yield
    finally:
        similar_rank.STOP_WORDS, similar_rank.KEEP_CODES = saved
        similar_rank._stem.cache_clear()


def methods() -> list[Tuned]:
    STOP_LISTS.update({
        "question words": similar_rank.STOP_WORDS,
        "+ scikit-learn English": similar_rank.STOP_WORDS | _english(),
    })
    # ("index only", either) and ("+ scikit-learn English", split) were tried too: never better on both folds.
    handling = (("question words", True), ("question words", False), ("+ scikit-learn English", True))
    return [
        # What similar.rerank did before issue 21 (its weight was chosen on all 500 meta pairs).
        Tuned("suggestions before issue 21", (None,), [(similar_rank.ENGINE_WEIGHT, 0.0)], (("question words", False),)),
        Tuned("suggestions, weight chosen on fold", (None,), [(e, 0.0) for e in ENGINE], (("question words", False),)),
        Tuned("+ query handling, title weight", (None,), list(itertools.product(ENGINE, (0.0,), TITLE)), handling),
        Tuned("+ LSA blend", DIMENSIONS, list(itertools.product(ENGINE, SEMANTIC, TITLE))),
    ]
