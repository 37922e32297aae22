"""The SQL function library: implementations (in :data:`pymz.expr.funcs.FUNCS`) and their
overloads (in :data:`pymz.expr.sigs.FUNCTIONS`), one module per family.

Importing this package registers everything; :mod:`pymz.expr` imports it, so any process
that plans or evaluates IR (environmentd, clusterd, tests) has the whole library. Each
module's docstring says which functions it provides and where it departs from PostgreSQL.
"""

from pymz.expr.library import arrays, basics, jsonb, numbers, strings, times

__all__ = ["arrays", "basics", "jsonb", "numbers", "strings", "times"]
