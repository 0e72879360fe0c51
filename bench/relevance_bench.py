"""Relevance benchmark (`make bench-relevance`): similar-question suggestions and the search page,
scored on duplicate questions nobody tuned on.

Sets (read in place from ../shared/data/stackexchange, never copied):
- meta: the duplicate pairs of metase_duplicate_pairs.tsv (the query is one question, the other
  is the one relevant document among every question of the file). The pairs are split into two
  fixed folds by connected component (no question is in both folds). A method with choices to
  make (a grid in bench/relevance_methods.py) makes them on one fold and is scored on the other,
  both ways round; a method with none is scored on each fold as it is.
- quantumcomputing: the dump's own PostLinks between two questions of the dump: duplicates
  (LinkTypeId 3; the query is the duplicate, the original is relevant) and, as a looser set,
  related links (LinkTypeId 1). Never tuned on; documents are question + answers, as a thread is
  indexed. Its size is printed beside every figure: with 14 links one query moves recall 7 points.

Queries are the title alone (what a customer has typed) and title + body. Metrics: recall@1, @5,
@10 and MRR over the top 20, the query's own document left out.

Methods: the current suggestions (`backend.similar`) and the search page (`backend.search`, title
queries only) on both backends; plain Whoosh BM25F (title + body fields, default analyzer and
scoring, OR parser); PostgreSQL websearch_to_tsquery + ts_rank_cd over the backend's own document
vectors, as typed (AND) and with the words joined by "or".

Environment: BENCH_BACKENDS ("whoosh,postgres"), COMMUNITY_TEST_PG_URL (admin URL for a scratch
database), BENCH_LIMIT_QUERIES (0 = all; a small number to prove the bench runs). Prints, never
asserts. One process, one thread.
"""
from __future__ import annotations

import os
import re
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.search_bench import (  # noqa: E402
    ANONYMOUS, DATA, baseline_similar, load_pairs, pair_docs, scratch_postgres, text_of,
)
from community.search.backend import SearchRequest, clean_text  # noqa: E402

BACKENDS = [name for name in os.environ.get("BENCH_BACKENDS", "whoosh,postgres").split(",") if name]
LIMIT_QUERIES = int(os.environ.get("BENCH_LIMIT_QUERIES", 0))
TOP = 20
KINDS = ("title", "title+body")
SEARCH_ERRORS: list[tuple[str, str, str]] = []  # (backend, query, error) the search page raised


# --- sets ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    source: int  # the asking question's document index (left out of its own results)
    target: int  # the relevant document's index
    fold: str = ""


@dataclass
class EvalSet:
    name: str
    corpus: str  # which document list the queries run against
    queries: list[Query]
    tuned: bool = False  # meta: folds, choices made on the other fold


@dataclass
class Corpus:
    name: str
    docs: list[tuple[str, str]]  # (title, body) as indexed
    asked: list[tuple[str, str]]  # (title, body) as a customer would type it
    sets: list[EvalSet] = field(default_factory=list)


def _folds(pairs: list[tuple[int, int]]) -> list[str]:
    """Fold A or B per pair: connected components of questions, alternately by first appearance."""
    parent: dict[int, int] = {}

    def root(node: int) -> int:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in pairs:
        parent[root(a)] = root(b)
    order: dict[int, str] = {}
    for a, _b in pairs:
        order.setdefault(root(a), "AB"[len(order) % 2])
    return [order[root(a)] for a, _b in pairs]


def meta_corpus() -> Corpus:
    questions, pairs = load_pairs()
    folds = _folds(pairs)
    queries = [Query(a, b, fold) for (a, b), fold in zip(pairs, folds)]
    corpus = Corpus("meta", questions, questions)
    corpus.sets = [EvalSet(f"meta fold {fold}", "meta", [q for q in queries if q.fold == fold], tuned=True)
                   for fold in "AB"]
    return corpus


def quantum_corpus() -> Corpus:
    folder = DATA / "quantumcomputing"
    questions: dict[str, tuple[str, str]] = {}
    answers: dict[str, list[str]] = defaultdict(list)
    for _event, row in ET.iterparse(folder / "Posts.xml"):
        if row.tag == "row" and row.get("PostTypeId") == "1":
            questions[row.get("Id")] = (clean_text(row.get("Title", "")).strip(), text_of(row.get("Body", "")))
        elif row.tag == "row" and row.get("PostTypeId") == "2":
            answers[row.get("ParentId")].append(text_of(row.get("Body", "")))
        row.clear()
    ids = list(questions)
    position = {post_id: n for n, post_id in enumerate(ids)}
    asked = [questions[post_id] for post_id in ids]
    docs = [(title, "\n\n".join([body, *answers.get(post_id, [])])) for post_id, (title, body) in zip(ids, asked)]
    links: dict[str, list[Query]] = {"1": [], "3": []}
    seen = set()
    for _event, row in ET.iterparse(folder / "PostLinks.xml"):
        kind, source, target = row.get("LinkTypeId"), row.get("PostId"), row.get("RelatedPostId")
        if row.tag == "row" and kind in links and source in position and target in position and source != target:
            if (kind, source, target) not in seen:
                seen.add((kind, source, target))
                links[kind].append(Query(position[source], position[target]))
        row.clear()
    corpus = Corpus("quantumcomputing", docs, asked)
    corpus.sets = [EvalSet("qc duplicates", "quantumcomputing", links["3"]),
                   EvalSet("qc related", "quantumcomputing", links["1"])]
    return corpus


# --- scoring ------------------------------------------------------------------------------------


def scores(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    found = [r for r in ranks if r is not None]
    return {
        "R@1": sum(r <= 1 for r in found) / n, "R@5": sum(r <= 5 for r in found) / n,
        "R@10": sum(r <= 10 for r in found) / n, "MRR": sum(1 / r for r in found) / n,
    }


def rank_of(query: Query, ranked: list[int]) -> int | None:
    ranked = [doc for doc in ranked if doc != query.source][:TOP]
    return ranked.index(query.target) + 1 if query.target in ranked else None


def question(corpus: Corpus, query: Query, kind: str) -> tuple[str, str]:
    title, body = corpus.asked[query.source]
    return title, body if kind == "title+body" else ""


# --- methods ------------------------------------------------------------------------------------
# A method ranks document indexes for (title, body). A tuned method (bench/relevance_methods.py)
# has a grid of choices and is given the queries of one fold to choose on.

Ranker = Callable[[str, str], list[int]]


@dataclass
class Row:
    set_name: str
    size: int
    method: str
    backend: str
    figures: dict[str, dict[str, float]]  # kind -> metric -> value
    note: str = ""


def evaluate(corpus: Corpus, queries: list[Query], ranker: Ranker, kinds=KINDS) -> dict[str, dict[str, float]]:
    out = {}
    for kind in kinds:
        out[kind] = scores([rank_of(q, ranker(*question(corpus, q, kind))) for q in queries])
    return out


def _limited(queries: list[Query]) -> list[Query]:
    return queries[:LIMIT_QUERIES] if LIMIT_QUERIES else queries


def run_methods(corpus: Corpus, backend, methods: dict[str, tuple[Ranker, tuple]], tuned) -> list[Row]:
    """Untuned methods on every set; tuned ones chosen on the other meta fold, never on qc."""
    rows = []
    for eval_set in corpus.sets:
        queries = _limited(eval_set.queries)
        for name, (ranker, kinds) in methods.items():
            rows.append(Row(eval_set.name, len(queries), name, backend.name, evaluate(corpus, queries, ranker, kinds)))
        for method in tuned:
            rows.extend(method.rows(corpus, eval_set, queries, backend))
    return rows


def backend_methods(backend, offset: int = 1) -> dict[str, tuple[Ranker, tuple]]:
    def suggestions(title: str, body: str) -> list[int]:
        return [hit.thread_id - offset for hit in backend.similar(title, body, ANONYMOUS, limit=TOP + 1)]

    def search_page(title: str, _body: str) -> list[int]:
        request = SearchRequest(text=title, access=ANONYMOUS, per_page=TOP + 1, count_total=False)
        try:
            return [hit.thread_id - offset for hit in backend.search(request).hits]
        except Exception as error:  # noqa: BLE001  (a page error: counted, printed, scored as a miss)
            SEARCH_ERRORS.append((backend.name, title, f"{type(error).__name__}: {error}"))
            return []

    return {"suggestions (current)": (suggestions, KINDS), "search page": (search_page, ("title",))}


def postgres_baselines() -> dict[str, tuple[Ranker, tuple]]:
    from sqlalchemy import text

    from community.extensions import db

    sql = text("""
        SELECT d.thread_id FROM search_ranks d, websearch_to_tsquery('english', :q) q
        WHERE d.document @@ q ORDER BY ts_rank_cd(d.document, q) DESC, d.thread_id LIMIT :top
    """)

    def ranker(any_word: bool) -> Ranker:
        def rank(title: str, body: str) -> list[int]:
            words = re.findall(r"[^\W_]+", f"{title} {body}")[:400]
            typed = " or ".join(words) if any_word else " ".join(words)
            return [row.thread_id - 1 for row in db.session.execute(sql, {"q": typed, "top": TOP + 1})]

        return rank

    return {"PG websearch+ts_rank_cd (AND)": (ranker(False), KINDS),
            "PG websearch+ts_rank_cd (OR)": (ranker(True), KINDS)}


def tuned_methods() -> list:
    from bench import relevance_methods

    return relevance_methods.methods()


def search_docs(corpus: Corpus):
    return pair_docs(corpus.docs)


# --- backends -----------------------------------------------------------------------------------


def whoosh_rows(tmp: str, corpora: list[Corpus]) -> list[Row]:
    from community.search.whoosh_backend import WhooshBackend

    rows = []
    tuned = tuned_methods()
    for corpus in corpora:
        backend = WhooshBackend(str(Path(tmp) / f"whoosh-{corpus.name}"))
        start = time.perf_counter()
        backend.rebuild(search_docs(corpus))
        print(f"  whoosh: indexed {corpus.name} ({len(corpus.docs):,} documents) in {time.perf_counter() - start:.1f} s", flush=True)
        rows += run_methods(corpus, backend, backend_methods(backend), tuned)
    return rows


def postgres_rows(tmp: str, corpora: list[Corpus]) -> list[Row]:
    from community.extensions import db

    rows = []
    tuned = tuned_methods()
    with scratch_postgres(tmp, "parley_bench_relevance") as backend:
        for corpus in corpora:
            start = time.perf_counter()
            backend.rebuild(search_docs(corpus))
            db.session.commit()
            print(f"  postgres: indexed {corpus.name} ({len(corpus.docs):,} documents) in {time.perf_counter() - start:.1f} s", flush=True)
            methods = {**backend_methods(backend), **postgres_baselines()}
            rows += run_methods(corpus, backend, methods, tuned)
            db.session.rollback()
    return rows


def baseline_rows(tmp: str, corpora: list[Corpus]) -> list[Row]:
    rows = []
    for corpus in corpora:
        folder = Path(tmp) / f"bm25f-{corpus.name}"
        folder.mkdir()
        ranker = baseline_similar(str(folder), corpus.docs, any_word=True)
        for eval_set in corpus.sets:
            queries = _limited(eval_set.queries)
            rows.append(Row(eval_set.name, len(queries), "plain BM25F (OR)", "whoosh", evaluate(corpus, queries, ranker)))
    return rows


# --- report -------------------------------------------------------------------------------------


def print_table(rows: list[Row]) -> None:
    head = f"{'set':<14} {'n':>4}  {'method':<34} {'backend':<8}"
    metrics = ("R@1", "R@5", "R@10", "MRR")
    print(f"\n{head} | {'title: ' + ' '.join(f'{m:>5}' for m in metrics):<32} | title+body: " + " ".join(f"{m:>5}" for m in metrics))
    last = None
    for row in sorted(rows, key=lambda r: (r.set_name, r.method, r.backend)):
        if row.set_name != last:
            print("-" * 126)
            last = row.set_name
        cells = []
        for kind in KINDS:
            figures = row.figures.get(kind)
            cells.append(" ".join(f"{figures[m]:5.3f}" for m in metrics) if figures else " " * 23 + "-")
        print(f"{row.set_name:<14} {row.size:>4}  {row.method:<34} {row.backend:<8} | {'':7}{cells[0]:<25} | {'':12}{cells[1]}")
    print("\nnote: 'suggestions (current)' is the app as shipped, its blend chosen on BOTH meta folds, so on a meta"
          "\nfold it has seen the set it is scored on; the held-out figure of the same method is '+ LSA blend'.")
    print("\nsettings chosen (never on the set scored):")
    for row in rows:
        if row.note:
            print(f"  {row.method:<34} {row.backend:<8} {row.set_name:<14}: {row.note}")
    print()
    gains(rows)


def gains(rows: list[Row]) -> None:
    """Recall@5 points over plain BM25F (OR) on each set, the issue's target measure."""
    base = {(r.set_name, kind): r.figures[kind]["R@5"] for r in rows if r.method == "plain BM25F (OR)" for kind in KINDS}
    print("recall@5 gain over plain BM25F (OR), points (target: title >= +10, title+body >= +12 on each meta fold; > 0 on qc):")
    for row in sorted(rows, key=lambda r: (r.method, r.backend, r.set_name)):
        if row.method.startswith(("plain BM25F", "PG websearch")):
            continue
        parts = [f"{kind} {100 * (row.figures[kind]['R@5'] - base[(row.set_name, kind)]):+5.1f}"
                 for kind in KINDS if kind in row.figures and (row.set_name, kind) in base]
        print(f"  {row.method:<34} {row.backend:<8} {row.set_name:<14} (n={row.size:>3}): " + "  ".join(parts))


def main() -> None:
    for path in (DATA / "quantumcomputing" / "Posts.xml", DATA / "quantumcomputing" / "PostLinks.xml",
                 DATA / "metase_duplicate_pairs.tsv"):
        if not path.exists():
            sys.exit(f"missing {path}: the benchmark reads ../shared/data in place")
    started = time.perf_counter()
    load_before = os.getloadavg()
    corpora = [meta_corpus(), quantum_corpus()]
    for corpus in corpora:
        sizes = ", ".join(f"{s.name} {len(s.queries)} queries" for s in corpus.sets)
        print(f"{corpus.name}: {len(corpus.docs):,} documents; {sizes}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rows += baseline_rows(tmp, corpora)
        runs = {"whoosh": whoosh_rows, "postgres": postgres_rows}
        for name in BACKENDS:
            rows += runs[name](tmp, corpora)
    print_table(rows)
    for backend_name, query, error in dict.fromkeys(SEARCH_ERRORS):
        print(f"search page error ({backend_name}): {query!r}: {error}")
    load_after = os.getloadavg()
    print(f"\n{time.perf_counter() - started:.0f} s, one process; load average {load_before[0]:.2f} at the start, "
          f"{load_after[0]:.2f} at the end (quality figures do not depend on load)")


if __name__ == "__main__":
    main()
