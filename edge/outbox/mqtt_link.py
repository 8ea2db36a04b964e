"""The edge's MQTT connection; the only module on the edge that imports paho.

MQTT v5, because a v5 PUBACK carries a reason code: when the broker's ACL
refuses a publish, mosquitto answers "Not authorized" (135) instead of the
silent success a 3.1.1 PUBACK would give, so a misconfigured ACL cannot make
the outbox delete records that were never delivered.

paho runs its own network thread (``connect_async`` + ``loop_start``) and
reconnects by itself; we only choose each wait (exponential, with jitter so a
restarted broker is not hit by every device at once). QoS 1 messages that were
in flight when the link broke stay in paho's memory and are resent after the
reconnect; the on-disk outbox covers a process restart.
"""

from __future__ import annotations

import logging
import random
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from edge.config import ConfigError, MqttConfig
from edge.rate_limit import OUTAGE_LOG_INTERVAL_S, RateLimitedWarning
from wire import DeviceState, Kind, Status, Topic, encode

log = logging.getLogger(__name__)

_RECONNECT_BASE_S = 1.0
_RECONNECT_MAX_S = 30.0
# CONNACK reason codes a human must fix (v5: 134 bad user name or password, 135 not authorized).
_AUTH_FAILURES = frozenset({134, 135})


@dataclass(frozen=True, slots=True)
class PublishResult:
    """The broker's answer to one QoS 1 publish."""

    mid: int
    ok: bool
    reason: str


class MqttLink:
    """One device's session: Last Will and retained ``status``, QoS 1 publishing, reconnects."""

    def __init__(self, config: MqttConfig, site: str, device: str, *, client_id: str | None = None) -> None:
        self._config = config
        self._site = site
        self._device = device
        self._status_topic = str(Topic(site, device, Kind.STATUS))
        self._listeners: list[Callable[[PublishResult], None]] = []
        self._connected = threading.Event()
        self._lock = threading.Lock()
        self._connections = 0
        self._failed_attempts = 0
        self._auth_error_logged = False
        self._outage = RateLimitedWarning(log, OUTAGE_LOG_INTERVAL_S)
        self._client = paho.Client(
            CallbackAPIVersion.VERSION2,
            # The project's broker binds the client id to the username (use_username_as_clientid).
            client_id=client_id or config.username or f"mpp-{site}-{device}",
            protocol=MQTTProtocolVersion.MQTTv5,
        )
        self._client.on_connect = self._on_connect
        self._client.on_connect_fail = self._on_connect_fail
        self._client.on_disconnect = self._on_disconnect
        self._client.on_publish = self._on_publish

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        """Configure credentials, TLS and Last Will, then connect in the background.

        Raises ConfigError (naming the setting) for a missing password; never
        blocks on the network and never fails because the broker is down.
        """
        password = self._config.resolve_password()
        if self._config.username is not None:
            self._client.username_pw_set(self._config.username, password)
        if self._config.use_tls:
            tls = self._config.tls
            try:
                self._client.tls_set(
                    ca_certs=str(tls.ca_file) if tls.ca_file else None,
                    certfile=str(tls.cert_file) if tls.cert_file else None,
                    keyfile=str(tls.key_file) if tls.key_file else None,
                    cert_reqs=ssl.CERT_REQUIRED,
                )
            except (OSError, ssl.SSLError) as exc:
                raise ConfigError(f"mqtt.tls: cannot load the CA/certificate/key files: {exc}") from None
            self._client.tls_insecure_set(tls.insecure)
        self._client.will_set(self._status_topic, self._status_payload(DeviceState.OFFLINE), qos=1, retain=True)
        self._client.reconnect_delay_set(min_delay=1, max_delay=int(_RECONNECT_MAX_S))
        log.info("mqtt: connecting to %s as %s", self._config.url, self._config.username or "(anonymous)")
        self._client.connect_async(self._config.host, self._config.port, keepalive=self._config.keepalive_s)
        self._client.loop_start()

    def stop(self, timeout_s: float = 5.0) -> bool:
        """Publish retained ``offline`` (clean shutdown), wait for its PUBACK, disconnect.

        Returns whether the broker acknowledged ``offline``.
        """
        delivered = False
        if self._connected.is_set():
            info = self._client.publish(
                self._status_topic, self._status_payload(DeviceState.OFFLINE), qos=1, retain=True
            )
            try:
                info.wait_for_publish(timeout=timeout_s)
                delivered = info.is_published()
            except (RuntimeError, ValueError) as exc:
                log.warning("mqtt: could not publish offline status: %s", exc)
        self._client.disconnect()
        self._client.loop_stop()
        self._connected.clear()
        return delivered

    # -- publishing -------------------------------------------------------------------------

    def add_publish_listener(self, callback: Callable[[PublishResult], None]) -> None:
        """Called on paho's network thread for every PUBACK; keep it short and non-blocking."""
        self._listeners.append(callback)

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> int | None:
        """Queue one QoS 1 publish; returns its mid, or None when not connected."""
        if not self._connected.is_set():
            return None
        info = self._client.publish(topic, payload, qos=1, retain=retain)
        if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            # NO_CONN: paho keeps the message and sends it after the reconnect.
            if info.rc == MQTTErrorCode.MQTT_ERR_NO_CONN:
                return info.mid
            log.warning("mqtt: publish to %s refused locally: %s", topic, paho.error_string(info.rc))
            return None
        return info.mid

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout_s: float) -> bool:
        return self._connected.wait(timeout_s)

    @property
    def reconnects(self) -> int:
        """Successful connections after the first one."""
        with self._lock:
            return max(0, self._connections - 1)

    def set_max_inflight(self, count: int) -> None:
        """paho's own in-flight window; call before ``start``."""
        self._client.max_inflight_messages_set(count)

    # -- paho callbacks (network thread) ----------------------------------------------------

    def _status_payload(self, state: DeviceState) -> bytes:
        return encode(Status(site=self._site, device=self._device, state=state, ts=datetime.now(UTC)))

    def _on_connect(
        self, client: paho.Client, _userdata: Any, _flags: Any, reason_code: ReasonCode, _props: Properties | None
    ) -> None:
        if reason_code.is_failure:
            self._connection_failed(f"broker refused the connection: {reason_code}", int(reason_code.value))
            return
        with self._lock:
            self._connections += 1
            self._failed_attempts = 0
            first = self._connections == 1
        self._client.reconnect_delay_set(min_delay=1, max_delay=int(_RECONNECT_MAX_S))
        self._auth_error_logged = False
        self._outage.reset()
        client.publish(self._status_topic, self._status_payload(DeviceState.ONLINE), qos=1, retain=True)
        self._connected.set()
        if first:
            log.info("mqtt: connected to %s", self._config.url)
        else:
            log.info("mqtt: reconnected to %s", self._config.url)

    def _on_connect_fail(self, _client: paho.Client, _userdata: Any) -> None:
        hint = " (or its TLS certificate fails verification: see mqtt.tls)" if self._config.use_tls else ""
        self._connection_failed(f"cannot reach broker at {self._config.url}{hint}", None)

    def _on_disconnect(
        self, _client: paho.Client, _userdata: Any, _flags: Any, reason_code: ReasonCode, _props: Properties | None
    ) -> None:
        was_connected = self._connected.is_set()
        self._connected.clear()
        if was_connected and reason_code.value != 0:
            self._outage.warn(
                "mqtt: connection to %s lost (%s); records stay in the outbox", self._config.url, reason_code
            )
        if reason_code.value != 0:
            self._schedule_retry()

    def _on_publish(
        self, _client: paho.Client, _userdata: Any, mid: int, reason_code: ReasonCode, _props: Properties | None
    ) -> None:
        result = PublishResult(mid=mid, ok=not reason_code.is_failure, reason=str(reason_code))
        for callback in self._listeners:
            callback(result)

    def _connection_failed(self, message: str, code: int | None) -> None:
        if code in _AUTH_FAILURES:
            if not self._auth_error_logged:
                log.error(
                    "mqtt: %s - check mqtt.username (%s) and the password from %s; retrying",
                    message,
                    self._config.username or "(none)",
                    f"mqtt.password_env={self._config.password_env}"
                    if self._config.password_env
                    else f"mqtt.password_file={self._config.password_file}",
                )
                self._auth_error_logged = True
        else:
            self._outage.warn("mqtt: %s; retrying with backoff, records stay in the outbox", message)
        self._schedule_retry()

    def _schedule_retry(self) -> None:
        # paho doubles min_delay itself; we set each wait so it carries jitter.
        with self._lock:
            attempt = self._failed_attempts
            self._failed_attempts += 1
        ceiling = min(_RECONNECT_MAX_S, _RECONNECT_BASE_S * 2**attempt)
        wait_s = max(1, round(random.uniform(ceiling / 2, ceiling)))  # noqa: S311 - jitter, not crypto
        self._client.reconnect_delay_set(min_delay=wait_s, max_delay=wait_s)
