"""The adapter: SQL sessions, the coordinator that sequences statements, and the catalog
transactions that back DDL.

Guarantees: DDL is committed to the durable catalog before it is reported complete, and the
orchestrator is reconciled to the catalog (services created/dropped to match), including at
start-up. Does not guarantee: that orchestrator side effects are atomic with the catalog
commit (a crash in between is repaired by start-up reconciliation).
"""
