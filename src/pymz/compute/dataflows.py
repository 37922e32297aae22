"""A running dataflow inside clusterd: persist sources in, rendered plans, exports out.

One :class:`RunningDataflow` per installed ``CreateDataflow``. Everything runs on the clusterd
event loop; persist calls (blocking) go to worker threads. The dataflow graph is stepped
synchronously after every input change, so no two steps overlap.

- Sources (:class:`SourceImport`): a read hold on the shard, ``snapshot(as_of)`` once the
  shard's upper passes ``as_of``, then a polling ``listen(as_of)``; each event's updates are
  pushed into the source's ``Input`` and its frontier advanced to the shard's upper. The
  data shard is read as Arrow tables turned into columns in bulk (:mod:`.arrow_input`),
  the errors shard as rows.
- Builds are rendered in order into one :class:`Dataflow`, each reading ``Get`` of sources
  and earlier builds; every exported build gets one :class:`Output`.
- Index exports answer peeks from their Output at a timestamp once its frontier passed it.
- Persist sinks (:mod:`.sinks`) and subscribe sinks consume changes of their Output.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from pymz.compute.arrow_input import arrow_batch
from pymz.compute.dataflow import FOREVER, Batch, Dataflow, Input, Operator, Output, Subscription
from pymz.compute.dataflow.graph import error_for
from pymz.compute.dataflow.ops import demanded_columns
from pymz.compute.notify import ShardNotifier
from pymz.compute.render import render
from pymz.compute.render.compiled import updates_batch
from pymz.compute.sinks import PersistSink, thaw
from pymz.compute_client.dataflow import (
    DataflowDescription,
    PersistSinkExport,
    SourceImport,
    SubscribeSinkExport,
    encode_subscribe_updates,
    subscribe_error,
)
from pymz.compute_client.errors_shard import ERROR_COLUMNS, errors_shard_id
from pymz.compute_client.peek_plan import encode_result
from pymz.compute_client.protocol import (
    ComputeResponse,
    Frontiers,
    SubscribeBatch,
    SubscribeResponse,
)
from pymz.errors import InternalError, PymzError
from pymz.persist import PersistClient, ReadHandle
from pymz.persist.client import ListenEvent, ListenParts
from pymz.proto.common import Frontier, frontier_to_proto
from pymz.repr.types import Column

log = logging.getLogger(__name__)

Emit = Callable[[ComputeResponse], None]

# How often a source's read hold follows its progress (each downgrade is a consensus write).
_HOLD_DOWNGRADE_S = 1.0


def to_frontier(t: int) -> Frontier:
    """A dataflow frontier (``FOREVER`` = closed) as a protocol frontier."""
    return () if t >= FOREVER else (t,)


def frontiers_response(id: str, f: Frontier) -> ComputeResponse:
    return ComputeResponse(frontiers=Frontiers(id=id, write_frontier=frontier_to_proto(f)))


class _SubscribeSink:
    def __init__(self, export: SubscribeSinkExport, sub: Subscription, columns: tuple[Column, ...],
                 as_of: int) -> None:
        self.export = export
        self.sub = sub
        self.columns = columns
        self.as_of = as_of
        self.done = False

    def responses(self, df: Dataflow, array_cols: list[int]) -> list[ComputeResponse]:
        out: list[ComputeResponse] = []
        up_to = self.export.up_to
        for lo, hi, batch in self.sub.poll():
            if self.done:
                break
            lower = max(lo, self.as_of)
            upper = hi if up_to is None else min(hi, up_to)
            if upper <= lower and not (up_to is not None and upper >= up_to):
                continue
            b = SubscribeBatch(lower=frontier_to_proto((lower,)),
                               upper=frontier_to_proto(to_frontier(upper)))
            errors = df.errors_at(upper - 1) if upper > lower else []
            if errors:
                b.error = subscribe_error(errors[0].sqlstate, errors[0].message)
                self.done = True
            else:
                ups = [(thaw(r, array_cols), t, d) for r, t, d in _updates(batch)
                       if t < upper]
                b.updates = encode_subscribe_updates(self.columns, ups)
            out.append(ComputeResponse(
                subscribe_response=SubscribeResponse(id=self.export.id, batch=b)))
            if up_to is not None and upper >= up_to:
                self.done = True
        return out


def _first(group: BaseExceptionGroup[Any]) -> Any:
    """The first leaf exception of a (possibly nested) exception group."""
    e: Any = group
    while isinstance(e, BaseExceptionGroup):
        e = e.exceptions[0]
    return e


def _updates(batch: Batch) -> list[tuple[tuple[Any, ...], int, int]]:
    return list(zip(batch.rows(), batch.time.tolist(), batch.diff.tolist(), strict=True))


class RunningDataflow:
    """Renders ``desc`` at construction (raises PymzError for plans it cannot render);
    :meth:`start` launches the source readers and sinks."""

    def __init__(self, desc: DataflowDescription, persist: PersistClient | None, emit: Emit,
                 *, poll_s: float = 0.05, notifier: ShardNotifier | None = None) -> None:
        self.desc = desc
        self.notifier = notifier or ShardNotifier()
        self.persist = persist
        self.emit = emit
        self.poll_s = poll_s
        self.as_of = desc.as_of
        self.df = Dataflow(desc.debug_name)
        self.inputs: dict[str, Input] = {}
        streams: dict[str, Operator] = {}
        for s in desc.source_imports:
            inp = Input(self.df, len(s.columns))
            inp.advance_to(self.as_of)
            self.inputs[s.id] = inp
            streams[s.id] = inp
        self.columns: dict[str, tuple[Column, ...]] = {}
        for b in desc.objects_to_build:
            streams[b.id] = render(self.df, b.plan, streams, as_of=self.as_of)
            self.columns[b.id] = tuple(b.plan.schema)
        self.outputs: dict[str, Output] = {}  # build id -> its one Output
        self.export_output: dict[str, Output] = {}  # export id -> Output
        self.export_build: dict[str, str] = {}
        # An indexed object's one Output is arranged by the (first) index's key, so index
        # peeks can look keys up; sinks and subscribes read the same Output.
        index_key = {i.on_id: i.key for i in reversed(desc.index_exports)}
        for on in [i.on_id for i in desc.index_exports] + [k.from_id for k in desc.sink_exports]:
            if on not in self.columns:
                raise InternalError(f"dataflow {desc.debug_name} exports unknown object {on}")
            if on not in self.outputs:
                self.outputs[on] = Output(streams[on], index_key.get(on))
        for i in desc.index_exports:
            self.export_output[i.id] = self.outputs[i.on_id]
            self.export_build[i.id] = i.on_id
        self.persist_sinks: dict[str, PersistSink] = {}
        self.subscribes: dict[str, _SubscribeSink] = {}
        for k in desc.sink_exports:
            out = self.outputs[k.from_id]
            self.export_output[k.id] = out
            self.export_build[k.id] = k.from_id
            arrays = self._array_cols(k.from_id)
            if isinstance(k, PersistSinkExport):
                self.persist_sinks[k.id] = PersistSink(
                    k, out.subscribe(), self.df, as_of=self.as_of, array_cols=arrays,
                    progress=self._sink_progress, appended=self.notifier.notify)
            else:
                self.subscribes[k.id] = _SubscribeSink(
                    k, out.subscribe(), self.columns[k.from_id], self.as_of)
        self.reported: dict[str, Frontier] = {}
        self.compaction: dict[str, int] = {}
        self.dropped: set[str] = set()
        self.error: PymzError | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.closed = False
        self._holds: list[ReadHandle] = []
        self._uppers: dict[str, list[int]] = {}  # source id -> upper per shard read
        self._stepped = asyncio.Event()  # set (and replaced) after every step

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        for s in self.desc.source_imports:
            self._tasks.append(loop.create_task(self._feed(s), name=f"source-{s.id}"))
        for sink in self.persist_sinks.values():
            self._tasks.append(loop.create_task(self._run_sink(sink), name="persist-sink"))
        # A dataflow without sources (constants only) is complete once stepped.
        self.step()

    async def close(self, timeout_s: float = 10.0) -> None:
        """Stop cooperatively: sources and sinks finish the persist call in flight (a
        cancelled call's thread would still run, e.g. renew a writer after it expired), then
        read holds and writers are released. Stragglers are cancelled after ``timeout_s``."""
        self.closed = True
        for sink in self.persist_sinks.values():
            sink.stop()
        tasks, self._tasks = self._tasks, []
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=timeout_s)
            for t in pending:
                t.cancel()
            if pending:
                await asyncio.wait(pending)
        holds, self._holds = self._holds, []
        for h in holds:
            try:
                await asyncio.to_thread(h.expire)
            except Exception:
                log.warning("could not release a read hold on %s", h.shard_id)

    def _persist(self) -> PersistClient:
        if self.persist is None:
            raise InternalError(
                "this clusterd cannot read persist: it was started without "
                "--persist-blob-url and --persist-consensus-url"
            )
        return self.persist

    # -- sources ------------------------------------------------------------------------------

    async def _run_sink(self, sink: PersistSink) -> None:
        """A sink that cannot write fails the dataflow (visibly), never silently stops."""
        try:
            await sink.run(self._persist())
        except asyncio.CancelledError:
            raise
        except PymzError as e:
            self._fail(e)
        except Exception as e:
            log.error("dataflow %s: sink %s failed", self.desc.debug_name, sink.export.id,
                      exc_info=e)
            self._fail(InternalError(f"sink {sink.export.id} failed: {e}"))

    async def _feed(self, s: SourceImport) -> None:
        try:
            if s.has_errors:
                # A materialized view: its errors shard is read alongside, and the input
                # advances only as far as both are complete.
                async with asyncio.TaskGroup() as tg:
                    tg.create_task(self._follow(s, s.shard_id, s.columns, 0))
                    tg.create_task(self._follow(s, errors_shard_id(s.shard_id),
                                                ERROR_COLUMNS, 1))
            else:
                await self._follow(s, s.shard_id, s.columns, 0)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            e = _first(exc) if isinstance(exc, BaseExceptionGroup) else exc
            if isinstance(e, asyncio.CancelledError):
                raise
            if isinstance(e, PymzError):
                self._fail(e)
            else:  # persist failures: the dataflow cannot continue
                log.error("dataflow %s: source %s failed", self.desc.debug_name, s.id,
                          exc_info=e)
                self._fail(InternalError(f"source {s.id} (shard {s.shard_id}) failed: {e}"))

    async def _follow(self, s: SourceImport, shard_id: str, columns: tuple[Column, ...],
                      part: int) -> None:
        """Snapshot ``shard_id`` at the as-of, then listen; part 0 is the data (pushed into
        the source's input), part 1 the errors shard (reported into ``errs``)."""
        persist = self._persist()
        handle = await asyncio.to_thread(persist.open_reader, shard_id, columns)
        self._holds.append(handle)
        if handle.hold > self.as_of:
            raise InternalError(
                f"Timestamp ({self.as_of}) is not valid for all inputs",
                detail=f"shard {shard_id} is readable from {handle.hold}",
            )
        await asyncio.to_thread(handle.downgrade_since, self.as_of)
        while not self.closed:
            upper = await asyncio.to_thread(handle.upper)
            if upper is None or upper > self.as_of:
                break
            await asyncio.to_thread(handle.maybe_heartbeat)  # keep the hold while waiting
            await asyncio.sleep(self.poll_s)
        if self.closed:
            return
        # The data part is read as Arrow tables straight into columns; the (small) errors
        # part as rows.
        columnar = part == 0
        if columnar:
            parts = await asyncio.to_thread(handle.snapshot_parts, self.as_of)
            self._push_parts(self.inputs[s.id], columns, parts)
        else:
            self._deliver(s, part, columns, await asyncio.to_thread(handle.snapshot, self.as_of))
        self._source_upper(s, part, self.as_of + 1)
        self.step()
        listen = handle.listen(self.as_of)
        last_downgrade = time.monotonic()
        while not listen.done and not self.closed:
            woken = self.notifier.event(shard_id)  # taken before polling: no lost wake-up
            ev: ListenEvent | ListenParts | None = await asyncio.to_thread(
                listen.poll_parts if columnar else listen.poll)
            if ev is None:
                await self.notifier.wait(woken, self.poll_s)
                continue
            if isinstance(ev, ListenParts):
                self._push_parts(self.inputs[s.id], columns, ev.parts)
            else:
                self._deliver(s, part, columns, ev.updates)
            self._source_upper(s, part, ev.upper)
            if ev.upper is not None and time.monotonic() - last_downgrade > _HOLD_DOWNGRADE_S:
                # Everything before the upper is in the dataflow: the shard may compact.
                await asyncio.to_thread(handle.downgrade_since, ev.upper - 1)
                last_downgrade = time.monotonic()
            self.step()

    def _deliver(self, s: SourceImport, part: int, columns: tuple[Column, ...],
                 updates: list[tuple[tuple[object, ...], int, int]]) -> None:
        if part == 0:
            self._push(self.inputs[s.id], columns, updates)
        elif updates:
            self.df.report([(error_for(str(row[0]), str(row[1])), max(t, self.as_of), d)
                            for row, t, d in updates])

    def _source_upper(self, s: SourceImport, part: int, upper: int | None) -> None:
        """Advance the source's input to the least upper of its shards (None: closed)."""
        uppers = self._uppers.setdefault(s.id, [self.as_of] * (2 if s.has_errors else 1))
        uppers[part] = FOREVER if upper is None else upper
        frontier = min(uppers)
        inp = self.inputs[s.id]
        if frontier >= FOREVER:
            inp.close()
        else:
            inp.advance_to(frontier)

    def _push_parts(self, inp: Input, columns: tuple[Column, ...], parts: list[Any]) -> None:
        if parts:
            # Columns no operator reads (projected away right at the source) stay encoded.
            b = arrow_batch(parts, columns, self.as_of, demanded_columns(inp))
            if len(b):
                inp.send(b)

    def _push(self, inp: Input, columns: tuple[Column, ...],
              updates: list[tuple[tuple[object, ...], int, int]]) -> None:
        if updates:
            inp.send(updates_batch(updates, columns, self.as_of))

    def _fail(self, e: PymzError) -> None:
        """The dataflow cannot make progress: peeks and subscribes get the error."""
        log.error("dataflow %s failed: %s", self.desc.debug_name, e.message)
        self.error = e
        for sub in self.subscribes.values():
            if not sub.done:
                sub.done = True
                b = SubscribeBatch(lower=frontier_to_proto((self.as_of,)),
                                   upper=frontier_to_proto((self.as_of,)),
                                   error=subscribe_error(e.sqlstate, e.message))
                self.emit(ComputeResponse(
                    subscribe_response=SubscribeResponse(id=sub.export.id, batch=b)))

    # -- stepping -----------------------------------------------------------------------------

    def step(self) -> None:
        self.df.run()
        # Index peeks waiting for a frontier look again now.
        stepped, self._stepped = self._stepped, asyncio.Event()
        stepped.set()
        for id, sub in self.subscribes.items():
            if id not in self.dropped:
                for r in sub.responses(self.df, self._array_cols(sub.export.from_id)):
                    self.emit(r)
        for sink in self.persist_sinks.values():
            sink.wake()
        for id in self.export_output:
            if id not in self.persist_sinks:
                self._report(id, to_frontier(self.export_output[id].frontier))

    def _sink_progress(self, id: str, upper: Frontier) -> None:
        self._report(id, upper)

    def _report(self, id: str, f: Frontier) -> None:
        if id in self.dropped or self.reported.get(id) == f:
            return
        self.reported[id] = f
        self.emit(frontiers_response(id, f))

    def frontier_responses(self) -> list[ComputeResponse]:
        """Current frontiers of every live export (for a new controller)."""
        return [frontiers_response(id, f) for id, f in self.reported.items()
                if id not in self.dropped]

    # -- commands -----------------------------------------------------------------------------

    def allow_compaction(self, id: str, frontier: Frontier) -> None:
        if not frontier:
            self.dropped.add(id)
            sink = self.persist_sinks.get(id)
            if sink is not None:
                sink.stop()
            return
        since = frontier[0]
        self.compaction[id] = since
        out = self.export_output.get(id)
        if out is None:
            return
        # An Output is shared by the exports of one build: compact to the least of theirs.
        sharing = [e for e, o in self.export_output.items() if o is out and e not in self.dropped]
        if all(e in self.compaction for e in sharing):
            out.allow_compaction(min(self.compaction[e] for e in sharing))

    async def peek(self, index_id: str, timestamp: int, wait_s: float) -> bytes:
        columns, rows = await self.index_rows(index_id, timestamp, wait_s)
        return encode_result(columns, rows, timestamp)

    async def index_rows(self, index_id: str, timestamp: int, wait_s: float,
                         lookup: Sequence[tuple[Any, ...]] | None = None,
                         ) -> tuple[tuple[Column, ...], list[tuple[Any, ...]]]:
        """The indexed collection at ``timestamp`` (waiting up to ``wait_s`` for it to be
        complete), each row repeated per multiplicity; with ``lookup``, only the rows whose
        key equals one of those key tuples (found by binary search in the arrangement)."""
        out = self.export_output.get(index_id)
        if out is None or index_id in self.dropped:
            raise InternalError(f"index {index_id} is not installed on this replica")
        deadline = time.monotonic() + wait_s
        while out.frontier <= timestamp:
            if self.error is not None:
                raise self.error
            if time.monotonic() > deadline:
                raise InternalError(
                    f"index {index_id} did not become complete at {timestamp} in time "
                    f"(frontier {out.frontier})"
                )
            await ShardNotifier.wait(self._stepped, self.poll_s)
        build = self.export_build[index_id]
        arrays = self._array_cols(build)
        if lookup is None:
            found = out.rows(timestamp)
        else:
            if any(len(k) != len(out.key) for k in lookup):
                raise InternalError(f"index {index_id} has a {len(out.key)}-column key")
            b = out.lookup(timestamp, lookup)
            found = list(zip(b.rows(), b.diff.tolist(), strict=True))
        rows: list[tuple[Any, ...]] = []
        for r, d in found:
            if d < 0:
                raise InternalError("negative multiplicity in an index")
            rows.extend([thaw(r, arrays)] * d)
        return self.columns[build], rows

    def _array_cols(self, build: str) -> list[int]:
        return [i for i, c in enumerate(self.columns[build]) if c.is_array]

    def introspect(self) -> dict[str, Any]:
        return {
            "name": self.desc.debug_name,
            "as_of": self.as_of,
            "frontiers": {k: list(v) for k, v in self.reported.items()},
            "error": None if self.error is None else self.error.message,
            "sinks": {k: s.introspect() for k, s in self.persist_sinks.items()},
        }
