"""Structured log lines (logfmt): `level=... logger=... msg=... key=value`.

Operations teams grep and ship these; a free-text line says nothing a
machine can filter on. Pass extra fields with `logger.info(msg, extra={...})`.
"""

from __future__ import annotations

import logging

_STANDARD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


def _quote(value: object) -> str:
    text = str(value)
    if text == "" or any(c in text for c in ' ="\n'):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return text


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        parts = [
            f"time={self.formatTime(record, '%Y-%m-%dT%H:%M:%S%z')}",
            f"level={record.levelname.lower()}",
            f"logger={record.name}",
            f"msg={_quote(record.getMessage())}",
        ]
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                parts.append(f"{key}={_quote(value)}")
        if record.exc_info:
            parts.append(f"exc={_quote(self.formatException(record.exc_info))}")
        return " ".join(parts)


class ClientErrorsInOneLine(logging.Filter):
    """A 4xx logged by Django (a 403's PermissionDenied, a 404) becomes one line with
    the refusal's reason: the stack trace of a refusal the app meant to make is noise
    on the console and in the log shipper. 5xx records keep their traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500 and record.exc_info:
            exc = record.exc_info[1]
            reason = str(exc) if exc is not None else ""
            if reason:
                record.reason = reason
            record.exc_info = None
            record.exc_text = None
        return True
