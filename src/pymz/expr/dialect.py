"""The SQL dialect the planner parses: sqlglot's PostgreSQL dialect, keeping some calls as
written.

sqlglot rewrites some PostgreSQL calls into its own nodes and loses information on the way
(``date_part`` becomes ``extract``, ``to_char``'s format is translated to strftime,
``date_bin``'s origin becomes a unit, a column as ``date_trunc`` unit becomes a name, and
``INTERVAL '1 day ago'`` becomes ``INTERVAL '1' DAY``). :class:`Pymz` parses those as
written, for the function library to plan (:mod:`pymz.expr.library.times`). It is a dialect
of its own, so other users of sqlglot in the process (the snapshot executor's rewriter) keep
PostgreSQL's as sqlglot defines it.
"""

from __future__ import annotations

import re
from typing import Any

from sqlglot import exp
from sqlglot.dialects.postgres import Postgres

# sqlglot turns INTERVAL '<n> <unit> ...' into INTERVAL '<n>' <unit> when it finds one
# "<n> <unit>" in the text, dropping the rest ('-1 day -02:00', '1 day ago', 'P1D').
_ONE_UNIT = re.compile(r"\s*-?[0-9]+(?:\.[0-9]+)?\s*[a-zA-Z]+\s*")
_KEEP = ("DATE_TRUNC", "DATE_BIN", "TO_CHAR", "TO_DATE", "TO_TIMESTAMP", "MAKE_TIME",
         "MAKE_TIMESTAMP")


def _age_call(args: list[exp.Expr]) -> exp.Expr:
    # age(x) is age(current_date, x): a constant in one-shot queries, refused in maintained
    # plans, like current_date itself.
    if len(args) == 1:
        args = [exp.CurrentDate(), *args]
    return exp.Anonymous(this="age", expressions=args)


_Base: Any = Postgres.Parser  # sqlglot types its dialects' inner classes as variables


class Pymz(Postgres):
    class Parser(_Base):  # type: ignore[misc]
        FUNCTIONS = {**{k: v for k, v in Postgres.Parser.FUNCTIONS.items() if k not in _KEEP},
                     "AGE": _age_call}
        FUNCTION_PARSERS = {k: v for k, v in Postgres.Parser.FUNCTION_PARSERS.items()
                            if k != "DATE_PART"}

        def _parse_interval_span(self, this: exp.Expr,
                                 parse_function_unit: bool = True) -> exp.Interval:
            if (this.is_string and not _ONE_UNIT.fullmatch(this.name)
                    and len(exp.INTERVAL_STRING_RE.findall(this.name)) == 1):
                iv: exp.Interval = super()._parse_interval_span(exp.Literal.string("x"),
                                                                parse_function_unit)
                iv.set("this", this)
                return iv
            whole: exp.Interval = super()._parse_interval_span(this, parse_function_unit)
            return whole
