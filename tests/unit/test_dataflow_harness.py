"""Random Z-set workloads and a driver comparing maintained outputs with recomputation."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from pymz.compute.dataflow import Dataflow, Input, Output

Row = tuple[Any, ...]
Bag = Counter[Row]
Oracle = Callable[[dict[str, Bag]], Bag]


def positive(c: Bag) -> Bag:
    return Counter({r: m for r, m in c.items() if m != 0})


class Workload:
    """Per table: random inserts from small domains and deletes of rows that exist."""

    def __init__(self, rng: random.Random, domains: dict[str, Sequence[Sequence[Any]]]) -> None:
        self.rng = rng
        self.domains = domains
        self.state: dict[str, Bag] = {name: Counter() for name in domains}

    def changes(self, name: str, n: int) -> list[tuple[Row, int]]:
        out: list[tuple[Row, int]] = []
        st = self.state[name]
        for _ in range(n):
            live = [r for r, m in st.items() if m > 0]
            if live and self.rng.random() < 0.4:
                r = self.rng.choice(live)
                out.append((r, -1))
                st[r] -= 1
                if st[r] == 0:
                    del st[r]
            else:
                r = tuple(self.rng.choice(list(d)) for d in self.domains[name])
                out.append((r, 1))
                st[r] += 1
        return out


def drive(
    seed: int,
    domains: dict[str, Sequence[Sequence[Any]]],
    build: Callable[[Dataflow, dict[str, Input]], dict[str, Output]],
    oracles: dict[str, Oracle],
    *,
    rounds: int = 25,
    max_changes: int = 8,
    compact: bool = False,
    check: Callable[[Dataflow], None] | None = None,
) -> dict[str, list[Bag]]:
    """Feed the workload round by round (1-3 times per round) and check every time.

    Returns, per output, the results at every time, for comparisons between dataflows.
    """
    rng = random.Random(seed)
    wl = Workload(rng, domains)
    df = Dataflow()
    inputs = {name: Input(df, len(d)) for name, d in domains.items()}
    outputs = build(df, inputs)
    history: dict[str, list[Bag]] = {name: [] for name in outputs}
    t = 0
    for _ in range(rounds):
        expected_by_time = []
        for _ in range(rng.randint(1, 3)):
            for name, inp in inputs.items():
                ch = wl.changes(name, rng.randint(0, max_changes))
                for r, d in ch:
                    inp.send_rows([r], t, d)
            snap = {n: Counter(s) for n, s in wl.state.items()}
            expected_by_time.append((t, {o: positive(f(snap)) for o, f in oracles.items()}))
            t += 1
        for inp in inputs.values():
            inp.advance_to(t)
        df.run()
        if check is not None:
            check(df)
        for time, expected in expected_by_time:
            for name, out in outputs.items():
                rows = out.rows(time)
                # Snapshots are consolidated: each row once, never with multiplicity 0.
                assert len({r for r, _ in rows}) == len(rows), rows
                assert all(m != 0 for _, m in rows)
                got = Counter(dict(rows))
                assert got == expected[name], (name, time, got, expected[name])
                history[name].append(got)
        if compact:
            for out in outputs.values():
                out.allow_compaction(t - 1)
    return history
