"""Wire types shared by the storagectl/computectl controllers and the clusterd runtimes.

Guarantees: ``common.proto``, ``compute.proto`` and ``storage.proto`` define every message that
crosses the controller/runtime boundary; the generated ``*_pb2*`` modules are committed and
match ``scripts/gen-proto`` output; :mod:`pymz.proto.common` holds the protocol version,
frontier helpers and the gRPC keepalive settings both ends use; :mod:`pymz.proto.arrow`
encodes row payloads as Arrow IPC; :mod:`pymz.proto.client` is the controller end of a
stream (connect, handshake, replay, reconnect), generic over the two protocols.
Does not guarantee: compatibility across ``PROTOCOL_VERSION`` bumps (a mismatched Hello is
rejected), or any meaning of the opaque ``*_json`` plan fields (the engine defines those).
"""
