"""MqttSubscriber: the collector's only paho import.

MQTT v5, persistent session (clean_start False, session expiry, stable client
id), manual acknowledgement, QoS 1 subscription to ``mpp/v1/#`` or the shared
``$share/<group>/mpp/v1/#``. paho reconnects with exponential backoff; on every
(re)connect we subscribe again and start a new ack generation.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from collector.config import MqttSettings
from collector.ingest.delivery import AckToken, Delivery
from wire import Topic

logger = logging.getLogger(__name__)

DISCONNECT_LOG_INTERVAL_S = 30.0


class MqttSubscriber:
    def __init__(
        self,
        settings: MqttSettings,
        on_delivery: Callable[[Delivery], None],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self._on_delivery = on_delivery
        self._clock = clock
        self._generation = 0
        self._last_disconnect_log = -DISCONNECT_LOG_INTERVAL_S
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self.filter = Topic.all_filter(settings.share_group)
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=settings.client_id, protocol=mqtt.MQTTv5, manual_ack=True
        )
        if settings.username:
            password = settings.password.get_secret_value() if settings.password else None
            client.username_pw_set(settings.username, password)
        if settings.tls:
            client.tls_set(ca_certs=str(settings.ca_file) if settings.ca_file else None)
        client.reconnect_delay_set(max(1, round(settings.reconnect_min_s)), max(1, round(settings.reconnect_max_s)))
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_connect_fail = self._on_connect_fail
        # A $share filter is delivered through on_message, never message_callback_add.
        client.on_message = self._on_message
        self._client = client

    def start(self) -> None:
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = self.settings.session_expiry_s
        properties.ReceiveMaximum = self.settings.receive_maximum
        self._client.connect_async(
            self.settings.host, self.settings.port, self.settings.keepalive_s, clean_start=False, properties=properties
        )
        self._client.loop_start()
        logger.info("connecting to %s as %s, subscribing to %s", self.settings.describe(), self.settings.client_id,
                    self.filter)  # fmt: skip

    def ack(self, token: AckToken) -> None:
        # An ack for an older connection could hit a reused packet id; the broker
        # resends those messages on the new connection and we ack them then.
        if token.generation == self._generation and self.connected.is_set():
            self._client.ack(token.mid, token.qos)

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
        self.connected.clear()

    # -- paho callbacks (network thread) ----------------------------------------

    def _on_connect(self, client: mqtt.Client, _userdata: Any, flags: Any, reason: ReasonCode, _props: Any) -> None:
        if reason.is_failure:
            # Bad credentials or a refused client id need a human; the rest is an outage.
            level = logging.ERROR if reason.value in (0x86, 0x87, 0x85, 0x8C) else logging.WARNING
            logger.log(level, "broker %s refused the connection: %s", self.settings.describe(), reason)
            return
        self._generation += 1
        self.connected.set()
        logger.info("connected to %s (session present: %s)", self.settings.describe(), flags.session_present)
        client.subscribe(self.filter, options=SubscribeOptions(qos=1))

    def _on_subscribe(self, _c: mqtt.Client, _userdata: Any, _mid: int, reasons: list[ReasonCode], _p: Any) -> None:
        if any(r.is_failure for r in reasons):
            logger.error("broker refused subscription %s: %s", self.filter, [str(r) for r in reasons])
        else:
            self.subscribed.set()

    def _on_disconnect(self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: ReasonCode, _p: Any) -> None:
        self.connected.clear()
        self.subscribed.clear()
        now = time.monotonic()
        if reason.is_failure and now - self._last_disconnect_log >= DISCONNECT_LOG_INTERVAL_S:
            self._last_disconnect_log = now
            logger.warning("lost connection to %s (%s); reconnecting with backoff", self.settings.describe(), reason)

    def _on_connect_fail(self, _client: mqtt.Client, _userdata: Any) -> None:
        now = time.monotonic()
        if now - self._last_disconnect_log >= DISCONNECT_LOG_INTERVAL_S:
            self._last_disconnect_log = now
            logger.warning("cannot reach broker %s; retrying with backoff", self.settings.describe())

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            topic = message.topic
        except UnicodeDecodeError:
            topic = message._topic.decode("utf-8", "replace")  # its bytes are all paho keeps
        self._on_delivery(
            Delivery(
                topic=topic,
                payload=bytes(message.payload),
                received_at=self._clock(),
                token=AckToken(mid=message.mid, qos=message.qos, generation=self._generation),
            )
        )
