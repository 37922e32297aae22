"""COPY data formats (text, csv, binary) in both directions, as PostgreSQL writes and reads them.

Pure functions over bytes: :class:`CopyEncoder` turns rows into CopyData payloads and
:class:`CopyDecoder` turns CopyData payloads (split anywhere) back into rows of typed values.
Bad data raises :class:`PymzError` 22P04 (bad_copy_file_format) or the value codec's error.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from pymz.adapter.client import CopyOptions
from pymz.errors import FeatureNotSupported, PymzError
from pymz.pgwire import codec
from pymz.repr import Column

BINARY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_TEXT_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b",
                 "\f": "\\f", "\v": "\\v"}
_TEXT_UNESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}

Row = tuple[object | None, ...]


def bad_copy(message: str) -> PymzError:
    return PymzError(message, sqlstate="22P04")


class _Resolved:
    """CopyOptions with PostgreSQL's per-format defaults applied and validated."""

    def __init__(self, options: CopyOptions) -> None:
        self.format = options.format
        csv = options.format == "csv"
        self.delimiter = options.delimiter if options.delimiter is not None else (
            "," if csv else "\t")
        self.null = options.null if options.null is not None else ("" if csv else "\\N")
        self.quote = options.quote if options.quote is not None else '"'
        self.escape = options.escape if options.escape is not None else self.quote
        self.header = options.header
        if len(self.delimiter) != 1:
            raise FeatureNotSupported("COPY delimiter must be a single one-byte character")
        if len(self.quote) != 1 or len(self.escape) != 1:
            raise FeatureNotSupported("COPY quote and escape must be single one-byte characters")
        if not csv and (options.quote is not None or options.escape is not None):
            raise FeatureNotSupported("COPY quote and escape are available only in CSV mode")


def format_code(options: CopyOptions) -> int:
    return codec.BINARY if options.format == "binary" else codec.TEXT


class CopyEncoder:
    """Rows to COPY TO STDOUT data."""

    def __init__(self, columns: Sequence[Column], options: CopyOptions) -> None:
        self._opts = _Resolved(options)
        self._columns = list(columns)
        fmt = format_code(options)
        self._encoders = [codec.encoder(c, fmt) for c in columns]

    def header(self) -> bytes:
        o = self._opts
        if o.format == "binary":
            return BINARY_SIGNATURE + struct.pack(">ii", 0, 0)
        if not o.header:
            return b""
        if o.format == "csv":
            return (o.delimiter.join(self._csv_field(c.name) for c in self._columns)
                    + "\n").encode()
        return (o.delimiter.join(self._text_field(c.name) for c in self._columns)
                + "\n").encode()

    def trailer(self) -> bytes:
        return struct.pack(">h", -1) if self._opts.format == "binary" else b""

    def rows(self, rows: Sequence[Row]) -> list[bytes]:
        """One payload per row: clients (psycopg) expect a CopyData message per row."""
        o = self._opts
        out: list[bytes] = []
        if o.format == "binary":
            for row in rows:
                parts = [struct.pack(">h", len(row))]
                for enc, v in zip(self._encoders, row, strict=True):
                    if v is None:
                        parts.append(struct.pack(">i", -1))
                    else:
                        b = enc(v)
                        parts.append(struct.pack(">i", len(b)) + b)
                out.append(b"".join(parts))
            return out
        field = self._csv_field if o.format == "csv" else self._text_field
        for row in rows:
            line = o.delimiter.join(
                o.null if v is None else field(enc(v).decode())
                for enc, v in zip(self._encoders, row, strict=True)
            )
            out.append((line + "\n").encode())
        return out

    def _text_field(self, s: str) -> str:
        d = self._opts.delimiter
        return "".join(_TEXT_ESCAPES.get(c, "\\" + c if c == d else c) for c in s)

    def _csv_field(self, s: str) -> str:
        o = self._opts
        needs = (s == o.null or s.startswith("\\.") or any(
            c in s for c in (o.delimiter, o.quote, "\n", "\r")))
        if not needs:
            return s
        body = "".join(o.escape + c if c in (o.quote, o.escape) else c for c in s)
        return o.quote + body + o.quote


class CopyDecoder:
    """COPY FROM STDIN data to rows; ``feed`` accepts CopyData payloads split anywhere."""

    def __init__(self, columns: Sequence[Column], options: CopyOptions) -> None:
        self._opts = _Resolved(options)
        self._columns = list(columns)
        fmt = format_code(options)
        self._decoders = [codec.decoder(c.oid, fmt) for c in columns]
        self._buf = bytearray()
        self._skip_header = options.header and options.format != "binary"
        self._binary_started = False
        self._done = False  # saw the end marker (\. or the binary trailer)
        self._line = 0

    def feed(self, data: bytes) -> list[Row]:
        self._buf += data
        if self._opts.format == "binary":
            return self._binary_rows()
        return self._text_rows(final=False)

    def finish(self) -> list[Row]:
        if self._opts.format == "binary":
            rows = self._binary_rows()
            if self._buf or not self._done:
                raise bad_copy("unexpected EOF in COPY data")
            return rows
        return self._text_rows(final=True)

    # ---------------------------------------------------------------- text / csv

    def _text_rows(self, *, final: bool) -> list[Row]:
        rows: list[Row] = []
        csv = self._opts.format == "csv"
        while not self._done:
            end = self._record_end(csv)
            if end < 0:
                if not final or not self._buf:
                    break
                end = len(self._buf)  # last line without a newline
            raw = bytes(self._buf[:end])
            del self._buf[: end + 1]
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise PymzError('invalid byte sequence for encoding "UTF8"',
                                sqlstate="22021") from None
            line = line.removesuffix("\r")
            self._line += 1
            if self._skip_header:
                self._skip_header = False
                continue
            if line == "\\.":
                self._done = True
                break
            fields = self._split_csv(line) if csv else self._split_text(line)
            rows.append(self._typed(fields))
        if self._done:
            self._buf.clear()  # anything after the end marker is ignored, like PostgreSQL
        return rows

    def _record_end(self, csv: bool) -> int:
        if not csv:
            return self._buf.find(b"\n")
        q, e = ord(self._opts.quote), ord(self._opts.escape)
        in_quote = False
        i = 0
        buf = self._buf
        while i < len(buf):
            c = buf[i]
            if in_quote and c == e and e != q and i + 1 < len(buf) and buf[i + 1] in (q, e):
                i += 2
                continue
            if c == q:
                in_quote = not in_quote
            elif c == 0x0A and not in_quote:
                return i
            i += 1
        return -1

    def _split_text(self, line: str) -> list[str | None]:
        o = self._opts
        out: list[str | None] = []
        for raw in line.split(o.delimiter) if "\\" not in line else _split_escaped(
                line, o.delimiter):
            out.append(None if raw == o.null else _unescape_text(raw))
        return out

    def _split_csv(self, line: str) -> list[str | None]:
        o = self._opts
        out: list[str | None] = []
        i, n = 0, len(line)
        while True:
            buf: list[str] = []
            quoted = False
            while i < n and line[i] != o.delimiter:
                c = line[i]
                if c == o.quote:
                    quoted = True
                    i += 1
                    while True:
                        if i >= n:
                            raise bad_copy("unterminated CSV quoted field")
                        c = line[i]
                        if c == o.escape and i + 1 < n and line[i + 1] in (o.quote, o.escape) \
                                and (o.escape != o.quote or line[i + 1] == o.quote):
                            buf.append(line[i + 1])
                            i += 2
                        elif c == o.quote:
                            i += 1
                            break
                        else:
                            buf.append(c)
                            i += 1
                else:
                    buf.append(c)
                    i += 1
            s = "".join(buf)
            out.append(None if not quoted and s == o.null else s)
            if i >= n:
                return out
            i += 1  # delimiter

    def _typed(self, fields: Sequence[str | None]) -> Row:
        if len(fields) < len(self._columns):
            raise bad_copy(f'missing data for column "{self._columns[len(fields)].name}"')
        if len(fields) > len(self._columns):
            raise bad_copy("extra data after last expected column")
        return tuple(None if f is None else dec(f.encode())
                     for dec, f in zip(self._decoders, fields, strict=True))

    # ---------------------------------------------------------------- binary

    def _binary_rows(self) -> list[Row]:
        buf = self._buf
        if not self._binary_started:
            if len(buf) < 19:
                return []
            if bytes(buf[:11]) != BINARY_SIGNATURE:
                raise bad_copy("COPY file signature not recognized")
            ext = struct.unpack_from(">i", buf, 15)[0]
            if len(buf) < 19 + ext:
                return []
            del buf[: 19 + ext]
            self._binary_started = True
        rows: list[Row] = []
        while not self._done and len(buf) >= 2:
            count = struct.unpack_from(">h", buf)[0]
            if count == -1:
                self._done = True
                del buf[:2]
                break
            if count != len(self._columns):
                raise bad_copy(f"row field count is {count}, expected {len(self._columns)}")
            pos = 2
            raw: list[bytes | None] = []
            for _ in range(count):
                if len(buf) < pos + 4:
                    return rows
                ln = struct.unpack_from(">i", buf, pos)[0]
                pos += 4
                if ln < 0:
                    raw.append(None)
                    continue
                if len(buf) < pos + ln:
                    return rows
                raw.append(bytes(buf[pos : pos + ln]))
                pos += ln
            del buf[:pos]
            rows.append(tuple(None if r is None else dec(r)
                              for dec, r in zip(self._decoders, raw, strict=True)))
        return rows


def _split_escaped(line: str, delimiter: str) -> list[str]:
    """Split on unescaped delimiters, keeping escapes for :func:`_unescape_text`."""
    out: list[str] = []
    cur: list[str] = []
    i = 0
    while i < len(line):
        c = line[i]
        if c == "\\" and i + 1 < len(line):
            cur.append(line[i : i + 2])
            i += 2
            continue
        if c == delimiter:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    out.append("".join(cur))
    return out


def _unescape_text(s: str) -> str:
    if "\\" not in s:
        return s
    out: list[str] = []
    i = 0
    while i < len(s):
        c = s[i]
        if c != "\\" or i + 1 >= len(s):
            out.append(c)
            i += 1
            continue
        nxt = s[i + 1]
        if nxt in _TEXT_UNESCAPES:
            out.append(_TEXT_UNESCAPES[nxt])
            i += 2
        elif nxt in "01234567":
            j = i + 1
            while j < len(s) and j < i + 4 and s[j] in "01234567":
                j += 1
            out.append(chr(int(s[i + 1 : j], 8)))
            i = j
        elif nxt == "x" and i + 2 < len(s) and s[i + 2] in "0123456789abcdefABCDEF":
            j = i + 2
            while j < len(s) and j < i + 4 and s[j] in "0123456789abcdefABCDEF":
                j += 1
            out.append(chr(int(s[i + 2 : j], 16)))
            i = j
        else:
            out.append(nxt)
            i += 2
    return "".join(out)
