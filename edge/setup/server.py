"""``mpp-edge setup``: the installer's web page, served by the device on the LAN.

Opt-in and short-lived: it runs only while an installer starts it, binds to the one
address given (all interfaces only when asked), and refuses to start without a password.
The picture goes to the logged-in browser only, from memory: nothing is written to disk
but the device config (the previous one kept as ``<name>.bak``).

Standard library HTTP server: a handful of requests per second from one phone needs no
framework, and a Pi keeps its memory for the model.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import os
import secrets
import shutil
import socket
import stat
import threading
import time
from http import HTTPStatus
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, Field, ValidationError

from edge.audit.session import AuditSession
from edge.audit.truth import AuditInputError
from edge.config import ConfigError, EdgeConfig, PointConfig, format_validation_error, parse_config
from edge.counting import CountingLine, CountingZone, Point, Polygon, Segment
from edge.setup.live import LiveScene
from wire.vocabulary import CountingRole

log = logging.getLogger(__name__)

PASSWORD_ENV = "MPP_SETUP_PASSWORD"  # noqa: S105 - the variable's name, not a password
MIN_PASSWORD_CHARS = 8
ALL_INTERFACES = ("", "0.0.0.0", "::")  # noqa: S104 - named to refuse them unless asked
ROLES = tuple(role.value for role in CountingRole)
SESSION_S = 8 * 3600
COOKIE = "mpp_setup"
_MAX_BODY = 64 * 1024
# A wrong password waits this long: guessing over the LAN stays slow.
_WRONG_PASSWORD_DELAY_S = 1.0
_STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/setup.js": ("setup.js", "text/javascript; charset=utf-8"),
    "/setup.css": ("setup.css", "text/css; charset=utf-8"),
    "/audit": ("audit.html", "text/html; charset=utf-8"),
    "/audit.js": ("audit.js", "text/javascript; charset=utf-8"),
}


def resolve_password(password_file: Path | None, environ: dict[str, str] | os._Environ[str]) -> str:
    """The setup password from ``password_file`` or MPP_SETUP_PASSWORD; ConfigError without one."""
    if password_file is not None:
        try:
            password = password_file.read_text().strip()
        except OSError as exc:
            raise ConfigError(f"--password-file: cannot read {password_file}: {exc.strerror}") from None
    else:
        password = environ.get(PASSWORD_ENV, "")
    if not password:
        raise ConfigError(
            f"the setup page needs a password: set {PASSWORD_ENV} or pass --password-file FILE "
            "(it does not start without one)"
        )
    if len(password) < MIN_PASSWORD_CHARS:
        raise ConfigError(f"the setup password needs at least {MIN_PASSWORD_CHARS} characters")
    return password


def parse_listen(value: str, *, allow_all_interfaces: bool) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8080`` for IPv6); every interface only with ``allow_all_interfaces``."""
    host, sep, port_text = value.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError(f"--listen {value!r}: expected HOST:PORT, e.g. 192.168.1.20:8080")
    if host in ALL_INTERFACES and not allow_all_interfaces:
        raise ConfigError(
            f"--listen {value!r} would serve the setup page on every network of the device; give the address "
            "of the installer's network (e.g. 192.168.1.20:8080), or add --allow-all-interfaces if that is meant"
        )
    return host, int(port_text)


def save_geometry(path: Path, lines: list[Any], zones: list[Any]) -> EdgeConfig:
    """Validate the config file with new lines and zones through the config model and write
    it, the previous file kept as ``<name>.bak``; ConfigError (nothing written) when invalid."""
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the current config: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    data["lines"], data["zones"] = lines, zones
    config = parse_config(data, path.name)
    shutil.copy2(path, path.with_name(path.name + ".bak"))
    temporary = path.with_name(f".{path.name}.saving")
    # Comments of the previous file stay in the .bak: a YAML round trip drops them.
    temporary.write_text(yaml.safe_dump(data, sort_keys=False, default_flow_style=None, allow_unicode=True))
    # The new file keeps the old one's mode and owner (e.g. root:mpp-edge 0640 when saved with
    # sudo), so the device service can still read it and nobody else can.
    previous = path.stat()
    os.chmod(temporary, stat.S_IMODE(previous.st_mode))
    with contextlib.suppress(PermissionError):  # not root: the file is the saver's, as after any editor
        os.chown(temporary, previous.st_uid, previous.st_gid)
    os.replace(temporary, path)
    return config


# The lines and zones the page is editing, for the detection region: only their points decide
# it, so a name or role still being typed (checked on save) does not make the region vanish.
class _EditedLine(BaseModel):
    points: tuple[PointConfig, PointConfig]

    def as_counting(self) -> CountingLine:
        a, b = self.points
        return CountingLine("", Segment(Point(a.x, a.y), Point(b.x, b.y)), "")


class _EditedZone(BaseModel):
    points: Annotated[tuple[PointConfig, ...], Field(min_length=3)]

    def as_counting(self) -> CountingZone:
        return CountingZone("", Polygon(tuple(Point(p.x, p.y) for p in self.points)), "")


class _EditedGeometry(BaseModel):
    lines: list[_EditedLine]
    zones: list[_EditedZone]


class SetupServer:
    """The HTTP server and what its pages act on; ``start`` serves from a thread."""

    def __init__(
        self,
        config_path: Path,
        host: str,
        port: int,
        password: str,
        live: LiveScene,
        audit: AuditSession | None = None,
    ) -> None:
        self.config_path = config_path
        self.live = live
        # ``mpp-edge audit``: the open audit the page's /audit view works on.
        self.audit = audit
        self._password = password.encode()
        self._sessions: dict[str, float] = {}
        self._lock = threading.Lock()
        self._wrong_password = threading.Lock()
        handler = type("Handler", (_Handler,), {"app": self})
        server_class = _Server6 if ":" in host else ThreadingHTTPServer
        self.httpd = server_class((host, port), handler)
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.httpd.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="setup-http", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    # --- sessions ----------------------------------------------------------------------

    def login(self, password: str) -> str | None:
        if not hmac.compare_digest(password.encode(), self._password):
            # One wrong password at a time, each slow: parallel guessing gains nothing.
            with self._wrong_password:
                time.sleep(_WRONG_PASSWORD_DELAY_S)
            return None
        token = secrets.token_urlsafe(32)
        with self._lock:
            now = time.monotonic()
            self._sessions = {t: exp for t, exp in self._sessions.items() if exp > now}
            self._sessions[token] = now + SESSION_S
        return token

    def is_session(self, token: str | None) -> bool:
        if not token:
            return False
        with self._lock:
            expires = self._sessions.get(token)
        return expires is not None and expires > time.monotonic()

    # --- geometry ----------------------------------------------------------------------

    def current(self) -> dict[str, Any]:
        from edge.config import load_config

        config = load_config(self.config_path)
        return {
            "device": f"{config.site}/{config.device}",
            "config": self.config_path.name,
            "roles": list(ROLES),
            "lines": [
                {"name": line.name, "role": line.role, "points": [[p.x, p.y] for p in line.points]}
                for line in config.lines
            ],
            "zones": [
                {"name": zone.name, "role": zone.role, "points": [[p.x, p.y] for p in zone.points]}
                | ({"gerai": zone.gerai} if zone.gerai else {})
                for zone in config.zones
            ],
        }

    def region(self, body: Any) -> dict[str, Any]:
        """The detection region of the lines and zones being edited (not yet saved), normalised
        [x1, y1, x2, y2], or None where the model would see the whole picture (see LiveScene.region)."""
        try:
            edited = _EditedGeometry.model_validate(body)
        except ValidationError as exc:
            raise ConfigError(format_validation_error(exc, "region request")) from None
        region = self.live.region([x.as_counting() for x in edited.lines], [z.as_counting() for z in edited.zones])
        return {"region": None if region is None else [region.x1, region.y1, region.x2, region.y2]}

    def save(self, body: Any) -> dict[str, Any]:
        if self.audit is not None and not self.audit.finished.is_set():
            # The recording was counted on the current geometry: a new one would void the audit.
            raise ConfigError("an audit is open on the current lines and zones: save or abandon it first")
        if not (isinstance(body, dict) and isinstance(body.get("lines"), list) and isinstance(body.get("zones"), list)):
            raise ConfigError('expected {"lines": [...], "zones": [...]}')
        config = save_geometry(self.config_path, body["lines"], body["zones"])
        self.live.set_config(config)
        log.info(
            "setup page saved %d line(s) and %d zone(s) to %s", len(config.lines), len(config.zones), self.config_path
        )
        return {
            "saved": self.config_path.name,
            "backup": self.config_path.name + ".bak",
            "generation": self.live.generation,
        }


class _Server6(ThreadingHTTPServer):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    app: SetupServer
    server_version = "mpp-setup"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    # --- plumbing ----------------------------------------------------------------------

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        # The picture and the geometry are for this browser session only.
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Content-Security-Policy", "default-src 'self'; img-src 'self' blob:; frame-ancestors 'none'")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, value: object, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(value).encode(), "application/json", headers)

    def _token(self) -> str | None:
        cookie = SimpleCookie(self.headers.get("Cookie", ""))
        morsel = cookie.get(COOKIE)
        return morsel.value if morsel else None

    def _authorised(self) -> bool:
        if self.app.is_session(self._token()):
            return True
        self._json(HTTPStatus.UNAUTHORIZED, {"error": "login required"})
        return False

    def _body(self) -> Any:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise ConfigError("bad Content-Length") from None
        if not 0 <= length <= _MAX_BODY:
            raise ConfigError("request too large")
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            # A form post from another site cannot set this type without CORS: no cross-site writes.
            raise ConfigError("expected application/json")
        try:
            return json.loads(self.rfile.read(length) or b"null")
        except ValueError:
            raise ConfigError("not valid JSON") from None

    # --- routes ------------------------------------------------------------------------

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path in _STATIC:
            name, content_type = _STATIC[path]
            body = resources.files("edge.setup").joinpath("static", name).read_bytes()
            self._send(HTTPStatus.OK, body, content_type)
        elif path == "/api/config":
            if self._authorised():
                try:
                    self._json(HTTPStatus.OK, self.app.current())
                except ConfigError as exc:
                    self._json(HTTPStatus.CONFLICT, {"error": str(exc)})
        elif path == "/api/live":
            if self._authorised():
                self._json(HTTPStatus.OK, self.app.live.state())
        elif path.startswith("/api/audit"):
            if self._authorised():
                self._audit_get(path)
        elif path == "/api/frame.jpg":
            if self._authorised():
                picture = self.app.live.picture()
                if picture is None:
                    self._json(HTTPStatus.SERVICE_UNAVAILABLE, {"error": "no picture yet", **self._live_error()})
                else:
                    self._send(HTTPStatus.OK, picture, "image/jpeg")
        else:
            self._json(HTTPStatus.NOT_FOUND, {"error": "not found"})

    def _live_error(self) -> dict[str, object]:
        error = self.app.live.state()["error"]
        return {"source": error} if error else {}

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        try:
            if path == "/api/login":
                body = self._body()
                password = body.get("password") if isinstance(body, dict) else None
                token = self.app.login(password) if isinstance(password, str) else None
                if token is None:
                    self._json(HTTPStatus.UNAUTHORIZED, {"error": "wrong password"})
                    return
                cookie = f"{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={SESSION_S}"
                self._json(HTTPStatus.OK, {"ok": True}, {"Set-Cookie": cookie})
            elif path == "/api/config":
                if self._authorised():
                    self._json(HTTPStatus.OK, self.app.save(self._body()))
            elif path == "/api/region":
                if self._authorised():
                    self._json(HTTPStatus.OK, self.app.region(self._body()))
            elif path.startswith("/api/audit/"):
                if self._authorised():
                    self._audit_post(path.removeprefix("/api/audit/"))
            else:
                self._json(HTTPStatus.NOT_FOUND, {"error": "not found"})
        except (ConfigError, AuditInputError) as exc:
            self._json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})

    # --- the accuracy audit (mpp-edge audit) ------------------------------------------------

    def _audit_get(self, path: str) -> None:
        audit = self.app.audit
        if audit is None:
            self._json(HTTPStatus.NOT_FOUND, {"error": "no audit open: start one with mpp-edge audit"})
        elif path == "/api/audit":
            self._json(HTTPStatus.OK, audit.state())
        elif path.startswith("/api/audit/frame/") and path.endswith(".png"):
            number = path.removeprefix("/api/audit/frame/").removesuffix(".png")
            try:
                if not number.isdigit():
                    raise AuditInputError(f"frame {number!r}: expected a frame number")
                self._send(HTTPStatus.OK, audit.frame_png(int(number)), "image/png")
            except AuditInputError as exc:
                self._json(HTTPStatus.NOT_FOUND, {"error": str(exc)})
        else:
            self._json(HTTPStatus.NOT_FOUND, {"error": "not found"})

    def _audit_post(self, action: str) -> None:
        audit = self.app.audit
        if audit is None:
            self._json(HTTPStatus.NOT_FOUND, {"error": "no audit open: start one with mpp-edge audit"})
            return
        body = self._body()
        if not isinstance(body, dict):
            raise AuditInputError("expected a JSON object")
        if action == "crossing":
            count = audit.add_crossing(body.get("line"), body.get("direction"), body.get("frame"))
            self._json(HTTPStatus.OK, {"crossings": count})
        elif action == "undo":
            self._json(HTTPStatus.OK, {"crossings": audit.undo()})
        elif action == "zone":
            audit.mark_zone(body.get("zone"), body.get("frame"), body.get("present"))
            self._json(HTTPStatus.OK, {"ok": True})
        elif action == "save":
            self._json(HTTPStatus.OK, audit.save(body.get("who")).to_json())
        elif action == "abandon":
            audit.abandon()
            self._json(HTTPStatus.OK, {"abandoned": True})
        else:
            self._json(HTTPStatus.NOT_FOUND, {"error": "not found"})
