"""Reading a posted form entirely in memory.

An uploaded roster holds patients' names: it must never reach the disk. Starlette's own form
parser spools large uploads to a temporary file, so the body is read here, up to a limit,
and taken apart with the standard library's MIME parser.
"""

from __future__ import annotations

import email.parser
import email.policy
from urllib.parse import parse_qs

from starlette.requests import Request


async def read_body(request: Request, limit: int) -> bytes | None:
    """The request body, or None when it is over ``limit`` bytes (reading stops there)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def form_fields(content_type: str, body: bytes) -> dict[str, bytes]:
    """Each field of a urlencoded or multipart form by name (the first one of a name wins)."""
    fields: dict[str, bytes] = {}
    if content_type.startswith("application/x-www-form-urlencoded"):
        for name, values in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items():
            fields[name] = values[0].encode("utf-8")
    elif content_type.startswith("multipart/form-data"):
        head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1", "replace")
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        for part in message.iter_parts():
            field_name = part.get_param("name", header="content-disposition")
            if isinstance(field_name, str) and field_name not in fields:
                payload = part.get_payload(decode=True)
                fields[field_name] = payload if isinstance(payload, bytes) else b""
    return fields
