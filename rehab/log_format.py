"""Log lines as JSON (production; REHAB_LOG_FORMAT), each with the request id.

One JSON object a line: time (UTC, ISO 8601), level, logger, message, request_id (null outside
a request) and, for an error, the traceback. Only these fields: a record's other attributes
(Django attaches the request object to its own records) are never written, so what a line says
is what the message says, and messages carry ids only (tests/test_no_patient_data_in_logs.py).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from rehab.audit import REQUEST_ID_META, request_id


class RequestIdFilter(logging.Filter):
    """Stamp each record with the current request's id when it is emitted (the formatter may
    run later, outside the request). Django logs a 4xx response after the middleware has
    returned, with the request attached to the record: its id is read from there."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        meta = getattr(request, "META", None) or {}
        record.request_id = request_id() or meta.get(REQUEST_ID_META)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
