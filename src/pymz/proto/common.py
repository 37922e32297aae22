"""Protocol version, frontier helpers and gRPC channel options shared by both protocols."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pymz.proto import common_pb2

# Bumped on any incompatible change to common/compute/storage.proto semantics.
# 2: PeekResponse.error became a PeekError (sqlstate, message, detail, hint).
# 3: dataflows run: PersistSinkConnection.desc_json, typed DataflowDescription payloads,
#    index peeks ({"kind": "index_peek"}), SubscribeBatch in the persist batch layout.
PROTOCOL_VERSION = 3

# Both ends ping every second and give up after two more without an answer, so a stopped or
# partitioned peer is detected within ~3 s even when no commands flow.
KEEPALIVE_TIME_MS = 1000
KEEPALIVE_TIMEOUT_MS = 2000

CLIENT_CHANNEL_OPTIONS: list[tuple[str, int]] = [
    ("grpc.keepalive_time_ms", KEEPALIVE_TIME_MS),
    ("grpc.keepalive_timeout_ms", KEEPALIVE_TIMEOUT_MS),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),
    # Newer gRPC cores time out a ping (keepalive included) after this, not after
    # keepalive_timeout_ms alone; without it a stopped peer goes unnoticed for a minute.
    ("grpc.http2.ping_timeout_ms", KEEPALIVE_TIMEOUT_MS),
    # Reconnect pacing is the controller's job (its own back-off); keep gRPC's short.
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1000),
    ("grpc.max_receive_message_length", 256 * 1024 * 1024),
    ("grpc.max_send_message_length", 256 * 1024 * 1024),
]

SERVER_OPTIONS: list[tuple[str, int]] = [
    ("grpc.keepalive_time_ms", KEEPALIVE_TIME_MS),
    ("grpc.keepalive_timeout_ms", KEEPALIVE_TIMEOUT_MS),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),
    ("grpc.http2.ping_timeout_ms", KEEPALIVE_TIMEOUT_MS),
    # Accept the client's 1 s pings instead of answering GOAWAY "too_many_pings".
    ("grpc.http2.min_recv_ping_interval_without_data_ms", KEEPALIVE_TIME_MS // 2),
    ("grpc.http2.min_ping_interval_without_data_ms", KEEPALIVE_TIME_MS // 2),
    ("grpc.max_receive_message_length", 256 * 1024 * 1024),
    ("grpc.max_send_message_length", 256 * 1024 * 1024),
]

Frontier = tuple[int, ...]
"""An antichain of epoch-millisecond timestamps; ``()`` is the empty (closed) frontier."""


def frontier_to_proto(times: Iterable[int]) -> common_pb2.Frontier:
    return common_pb2.Frontier(times=sorted(set(times)))


def frontier_from_proto(msg: common_pb2.Frontier) -> Frontier:
    return tuple(msg.times)


def frontier_join(a: Sequence[int], b: Sequence[int]) -> Frontier:
    """Least upper bound of two frontiers of totally ordered times (empty is the top)."""
    if not a or not b:
        return ()
    return (max(min(a), min(b)),)


def frontier_meet(a: Sequence[int], b: Sequence[int]) -> Frontier:
    """Greatest lower bound of two frontiers of totally ordered times (empty is the top)."""
    if not a:
        return tuple(b)
    if not b:
        return tuple(a)
    return (min(*a, *b),)


def frontier_less_equal(a: Sequence[int], b: Sequence[int]) -> bool:
    """``a <= b``: every time beyond ``b`` is beyond ``a``."""
    if not b:
        return True
    if not a:
        return False
    return min(a) <= min(b)


def hello(nonce: str, version: int = PROTOCOL_VERSION) -> common_pb2.Hello:
    return common_pb2.Hello(version=version, nonce=nonce)


def check_hello(msg: common_pb2.Hello) -> str | None:
    """Return why ``msg`` is not an acceptable handshake, or None when it is."""
    if msg.version != PROTOCOL_VERSION:
        return (
            f"incompatible protocol version: controller speaks {msg.version}, "
            f"this clusterd speaks {PROTOCOL_VERSION}"
        )
    return None
