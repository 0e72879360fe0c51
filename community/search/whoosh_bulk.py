"""Bulk building of a fresh Whoosh index, faster than Whoosh's own writer.

Whoosh's writer sends every posting through an external sort: each one is pickled to a run
file, read back and heap-merged, and its document's field length is re-read from disk while
the postings are written. On a rebuild most of the time went there. Here a segment's postings
are gathered in memory, grouped by field and term as they arrive (document numbers ascend by
construction), and handed to the codec already in order, with the lengths from memory. The
segment files are the codec's own, so readers see an ordinary index.

Memory is bounded by starting a new segment every MAX_SEGMENT_POSTINGS postings. With more than
one core, worker processes each build their own segments from batches the caller's process
sends them.
"""
from __future__ import annotations

import multiprocessing
from array import array
from typing import Iterable

from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

# About 60 bytes a posting in memory: 6M postings is ~360 MB a process, ~15,000 threads.
MAX_SEGMENT_POSTINGS = 6_000_000
BATCH_DOCS = 250


class BulkSegmentWriter(SegmentWriter):
    """Writes one new segment from documents added in order; `finish()` returns the segment.

    Supports what our schema uses: indexed, stored and column fields; no vectors, no separate
    spelling fields, no boosts.
    """

    def __init__(self, ix) -> None:
        super().__init__(ix, _lk=False)
        self.postings_count = 0
        self._terms: dict[str, dict[bytes, tuple[array, array, list]]] = {}
        self._lengths: dict[str, dict[int, int]] = {}
        for name, field in self.schema.items():
            if field.vector or field.separate_spelling():
                raise ValueError(f"bulk writer cannot index field {name!r} (vector or separate spelling)")

    def add_document(self, **fields) -> None:
        perdoc, schema, docnum = self.perdocwriter, self.schema, self.docnum
        perdoc.start_doc(docnum)
        for name in sorted(fields):
            value = fields[name]
            if value is None:
                continue
            field = schema[name]
            length = self._index_field(name, field, value, docnum) if field.indexed else 0
            perdoc.add_field(name, field, value if field.stored else None, length)
            if field.column_type:
                perdoc.add_column_value(name, field.column_type, field.to_column_value(value))
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def _index_field(self, name: str, field, value, docnum: int) -> int:
        terms = self._terms.get(name)
        if terms is None:
            terms = self._terms[name] = {}
        length = count = 0
        shortcut = getattr(field.format, "index_postings", None)
        postings = shortcut(value, field.analyzer) if shortcut else None
        for tbytes, freq, weight, vbytes in postings if postings is not None else field.index(value):
            entry = terms.get(tbytes)
            if entry is None:
                entry = terms[tbytes] = (array("I"), array("f"), [])
            entry[0].append(docnum)
            entry[1].append(weight)
            entry[2].append(vbytes)
            length += freq
            count += 1
        self.postings_count += count
        if not field.scorable:
            return 0
        # What Whoosh stores (one byte) and later reads back for block statistics.
        stored = length_to_byte(length)
        self._lengths.setdefault(name, {})[docnum] = byte_to_length(stored) if stored else 0
        return length

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        writer = self.fieldwriter
        for name in sorted(self._terms):
            terms, lengths = self._terms[name], self._lengths.get(name, {})
            writer.start_field(name, self.schema[name])
            for tbytes in sorted(terms):
                writer.start_term(tbytes)
                _fill_blocks(writer._postwriter, *terms[tbytes], lengths)
                writer.finish_term()
            writer.finish_field()
        self._terms.clear()
        self._lengths.clear()
        self.fieldwriter.close()

    def finish(self):
        """Close the segment's files and return it (None when no document was added). The
        index's temporary folder is shared by every writer: the committing writer removes it."""
        if not self._added:
            self._close_segment()
            return None
        return self._finalize_segment()


def _fill_blocks(postings, docnums: array, weights: array, values: list, lengths: dict[int, int]) -> None:
    """Hand a term's postings to the codec's postings writer a block at a time, setting the
    block statistics its add_posting() would have computed one posting at a time."""
    limit = postings._blocklimit
    for start in range(0, len(docnums), limit):
        if start:
            postings._write_block()
        end = start + limit
        ids, block_weights = docnums[start:end], weights[start:end]
        postings._ids, postings._weights = ids, block_weights
        postings._values = [vbytes for vbytes in values[start:end] if vbytes]
        postings._maxweight = max(0, max(block_weights))
        sizes = [size for size in map(lengths.get, ids) if size] if lengths else ()
        postings._minlength = min(sizes) if sizes else None
        postings._maxlength = max(sizes) if sizes else 0


def build(ix, docs: Iterable[dict], procs: int = 1, progress=None) -> int:
    """Index field dicts into the empty index `ix` (built aside: nothing else writes to it)."""
    if procs > 1:
        segments, count = _build_parallel(ix, docs, procs, progress)
    else:
        segments, count = _build_segments(ix, docs, progress)
    committer = ix.writer()
    committer._close_segment()
    committer._commit_toc(segments)
    committer._finish()
    return count


def _build_segments(ix, docs: Iterable[dict], progress=None) -> tuple[list, int]:
    segments, count = [], 0
    writer = BulkSegmentWriter(ix)
    for fields in docs:
        writer.add_document(**fields)
        count += 1
        if progress:
            progress(1)
        if writer.postings_count >= MAX_SEGMENT_POSTINGS:
            segments.append(writer.finish())
            writer = BulkSegmentWriter(ix)
    last = writer.finish()
    return segments + ([last] if last is not None else []), count


def _build_parallel(ix, docs: Iterable[dict], procs: int, progress) -> tuple[list, int]:
    context = multiprocessing.get_context("fork")
    jobs = context.Queue(procs * 4)
    results = context.Queue()
    workers = [context.Process(target=_worker, args=(ix, jobs, results), daemon=True) for _ in range(procs)]
    for worker in workers:
        worker.start()
    count, batch = 0, []
    try:
        for fields in docs:
            batch.append(fields)
            if len(batch) >= BATCH_DOCS:
                jobs.put(batch)
                count += len(batch)
                if progress:
                    progress(len(batch))
                batch = []
        if batch:
            jobs.put(batch)
            count += len(batch)
            if progress:
                progress(len(batch))
    finally:
        for _ in workers:
            jobs.put(None)
    outcomes = [results.get() for _ in workers]
    for worker in workers:
        worker.join()
    failures = [outcome for outcome in outcomes if isinstance(outcome, str)]
    if failures:
        raise RuntimeError(f"bulk index worker failed: {failures[0]}")
    return [segment for outcome in outcomes for segment in outcome], count


def _worker(ix, jobs, results) -> None:
    batches = _Batches(jobs)
    try:
        segments, _count = _build_segments(ix, batches)
    except BaseException as error:  # reported to the parent, which raises
        results.put(f"{type(error).__name__}: {error}")
        batches.drain()
        return
    results.put(segments)


class _Batches:
    """The documents of the batches the parent sends, up to its end-of-work None."""

    def __init__(self, jobs) -> None:
        self.jobs = jobs
        self.ended = False

    def __iter__(self):
        while (batch := self.jobs.get()) is not None:
            yield from batch
        self.ended = True

    def drain(self) -> None:
        # Take this worker's end-of-work None off the queue, so the others still get theirs.
        while not self.ended:
            self.ended = self.jobs.get() is None
