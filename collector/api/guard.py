"""RequestGuard: ASGI middleware that decides on a request before a byte of its body is read.

FastAPI reads and parses a body before it resolves dependencies, so its bearer check comes too
late to protect memory: a 50 MB body with no token would be read and parsed, then refused.
Here a body announced larger than ``MAX_BODY_BYTES`` is refused with 413, a body sent to the API
without a valid token with 401, both from the headers alone; a body that turns out larger than
announced (chunked, or a lying client) is cut off at the limit with 413.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import HTTPException, status

MAX_BODY_BYTES = 1024 * 1024  # the largest real body (opening hours with 1,000 holidays) is about 60 KB

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Asgi = Callable[[Scope, Receive, Send], Awaitable[None]]


async def _answer(send: Send, code: int, detail: str, headers: dict[str, str] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": code, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class RequestGuard:
    def __init__(self, app: Asgi, *, token_valid: Callable[[str], bool], max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self._token_valid = token_valid
        self._max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        chunked = b"chunked" in headers.get(b"transfer-encoding", b"").lower()
        if length is not None:
            if not length.isdigit():
                await _answer(send, status.HTTP_400_BAD_REQUEST, "bad Content-Length")
                return
            if int(length) > self._max_body_bytes:
                await _answer(send, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                              f"request body over {self._max_body_bytes} bytes")  # fmt: skip
                return
        if (chunked or int(length or 0) > 0) and str(scope["path"]).startswith("/api/"):
            scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
            token = token.strip() if scheme.lower() == "bearer" else ""
            if not token or not self._token_valid(token):
                detail = "invalid or revoked token" if token else "missing bearer token"
                await _answer(send, status.HTTP_401_UNAUTHORIZED, detail, {"WWW-Authenticate": "Bearer"})
                return
        received = 0

        async def capped() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self._max_body_bytes:
                    # FastAPI passes an HTTPException raised while reading the body through as it is.
                    raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                                        f"request body over {self._max_body_bytes} bytes")  # fmt: skip
            return message

        await self.app(scope, capped, send)
