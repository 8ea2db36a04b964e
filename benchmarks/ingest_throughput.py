"""Sustained QoS 1 ingest rate into each store, beside mosquitto's own pub/sub
rate and InfluxDB's raw /write rate, all in one run on this machine.

    PYTHONPATH=. .venv/bin/python benchmarks/ingest_throughput.py [--messages 50000]

1. mosquitto alone: mosquitto_pub -l (QoS 1) -> broker -> mosquitto_sub (QoS 1), the same payloads.
2. InfluxDB alone: the same records' line protocol POSTed to /write in batches of 500 messages.
3. Collector: N messages are queued in the collector's persistent session while it
   is stopped; then it starts and we time until the last one is acknowledged
   (decode, validate, batch, store write, PUBACK). Run once per store.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from collector.config import from_args
from collector.ingest import IngestService
from collector.storage import open_store
from collector.storage.base import Batch
from collector.storage.influx_lines import batch_points
from tests.services import InfluxServer, MosquittoBroker, free_port
from wire import LineCounts, ZoneOccupancy, encode

# Recent days: the collector refuses interval records older than a year (wire.messages.MAX_RECORD_AGE_S).
T0 = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=30)


def records(n: int) -> list[LineCounts | ZoneOccupancy]:
    """A site of 100 devices, each with a line and a zone, minute by minute."""
    out: list[LineCounts | ZoneOccupancy] = []
    for i in range(n):
        device, kind, minute = f"cam-{i % 100:03d}", (i // 100) % 2, i // 200
        at = T0 + timedelta(minutes=minute)
        if kind == 0:
            out.append(LineCounts(site="mpp-bench", device=device, timezone="Asia/Jakarta", interval_start=at,
                                  interval_s=60, observed_s=60, line="pintu", role="entrance",
                                  in_count=i % 9, out_count=i % 7))  # fmt: skip
        else:
            out.append(ZoneOccupancy(site="mpp-bench", device=device, timezone="Asia/Jakarta", interval_start=at,
                                     interval_s=60, observed_s=60, zone="antrian", role="queue", mean_count=1.25,
                                     max_count=3, occupied_s=50.0, visits=2, dwells_s=(31.0, 75.5)))  # fmt: skip
    return out


def mosquitto_alone(broker: MosquittoBroker, payloads: list[bytes]) -> float:
    lines = b"\n".join(payloads) + b"\n"
    sub = subprocess.Popen(["mosquitto_sub", "-p", str(broker.port), "-q", "1", "-t", "bench/raw",
                            "-C", str(len(payloads)), "-i", f"sub-{uuid.uuid4().hex[:6]}"],
                           stdout=subprocess.DEVNULL)  # fmt: skip
    time.sleep(0.5)
    start = time.perf_counter()
    subprocess.run(["mosquitto_pub", "-p", str(broker.port), "-q", "1", "-t", "bench/raw", "-l"],
                   input=lines, check=True)  # fmt: skip
    sub.wait(120)
    return len(payloads) / (time.perf_counter() - start)


def influx_alone(server: InfluxServer, messages: list[LineCounts | ZoneOccupancy], batch: int) -> tuple[float, int]:
    bodies = []
    points = 0
    for i in range(0, len(messages), batch):
        chunk = messages[i : i + batch]
        lines = [p.to_line_protocol() for p in batch_points(Batch(
            counts=[m for m in chunk if isinstance(m, LineCounts)],
            occupancy=[m for m in chunk if isinstance(m, ZoneOccupancy)]))]  # fmt: skip
        points += len(lines)
        bodies.append("\n".join(lines).encode())
    with httpx.Client(base_url=server.url, timeout=30) as client:
        client.post("/query", data={"q": 'CREATE DATABASE "raw"'})
        start = time.perf_counter()
        for body in bodies:
            assert client.post("/write", params={"db": "raw", "precision": "ns"}, content=body).status_code == 204
        elapsed = time.perf_counter() - start
    return len(messages) / elapsed, points


def collector_rate(broker: MosquittoBroker, store_url: str, data_dir: Path, messages: list[bytes],
                   topics: list[str]) -> float:  # fmt: skip
    settings = from_args(["--mqtt-url", broker.url, "--store", store_url, "--data-dir", str(data_dir),
                          "--client-id", f"bench-{uuid.uuid4().hex[:6]}"], {})  # fmt: skip
    store = open_store(settings.store)
    first = IngestService(settings, store)
    first.start()
    assert first.subscriber.subscribed.wait(10)
    first.stop()  # the session and its subscription stay with the broker

    pub = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    pub.max_inflight_messages_set(2000)
    pub.connect("127.0.0.1", broker.port)
    pub.loop_start()
    infos = [pub.publish(t, p, qos=1) for t, p in zip(topics, messages, strict=True)]
    for info in infos:
        info.wait_for_publish(120)
    pub.disconnect()
    pub.loop_stop()

    ingest = IngestService(settings, store)
    start = time.perf_counter()
    ingest.start()
    while ingest.stats().acked < len(messages):
        time.sleep(0.01)
        if time.perf_counter() - start > 600:
            raise TimeoutError(f"only {ingest.stats()} after 600 s")
    elapsed = time.perf_counter() - start
    stats = ingest.stats()
    ingest.stop()
    store.close()
    assert stats.stored == len(messages) and stats.dead_lettered == 0, stats
    return len(messages) / elapsed


def stored_count(store_url: str) -> int:
    if store_url.startswith("sqlite"):
        with sqlite3.connect(store_url.removeprefix("sqlite:///")) as conn:
            return int(conn.execute("SELECT (SELECT count(*) FROM line_counts) + (SELECT count(*) FROM zone_occupancy)")
                       .fetchone()[0])  # fmt: skip
    base, database = store_url.replace("influxdb://", "http://").rsplit("/", 1)
    response = httpx.post(f"{base}/query", data={"db": database, "q": 'SELECT count("in_count") FROM line_counts; '
                                                 'SELECT count("mean_count") FROM zone_occupancy'})  # fmt: skip
    return sum(r["series"][0]["values"][0][1] for r in response.json()["results"] if "series" in r)


def collector_processes_rate(broker: MosquittoBroker, store_url: str, work: Path, processes: int,
                             messages: list[bytes], topics: list[str]) -> float:  # fmt: skip
    """N real `mpp-collector` processes on one shared subscription. They are
    SIGSTOPped while the messages are queued, then resumed and timed."""
    script = Path(sys.executable).parent / "mpp-collector"
    procs = []
    for i in range(processes):
        env = {**os.environ, "MPP_MQTT_URL": broker.url, "MPP_STORE_URL": store_url, "MPP_SHARE_GROUP": "bench",
               "MPP_CLIENT_ID": f"bench-{i}-{uuid.uuid4().hex[:4]}", "MPP_LISTEN": f"127.0.0.1:{free_port()}",
               "MPP_DATA_DIR": str(work / f"var{i}"), "MPP_LOG_LEVEL": "WARNING"}  # fmt: skip
        procs.append(subprocess.Popen([str(script)], env=env))
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    pub.max_inflight_messages_set(2000)
    pub.connect("127.0.0.1", broker.port)
    pub.loop_start()
    try:
        deadline = time.monotonic() + 60
        while stored_count(store_url) < 1:  # until every process subscribed and stored one
            assert time.monotonic() < deadline, "collectors did not start"
            pub.publish(topics[0], messages[0], qos=1).wait_for_publish(5)
            time.sleep(0.5 if time.monotonic() > deadline - 55 else 3)
        for proc in procs:
            proc.send_signal(signal.SIGSTOP)
        infos = [pub.publish(t, p, qos=1) for t, p in zip(topics, messages, strict=True)]
        for info in infos:
            info.wait_for_publish(120)
        start = time.perf_counter()
        for proc in procs:
            proc.send_signal(signal.SIGCONT)
        while stored_count(store_url) < len(messages):
            time.sleep(0.05)
            if time.perf_counter() - start > 600:
                raise TimeoutError("collectors did not finish in 600 s")
        return len(messages) / (time.perf_counter() - start)
    finally:
        pub.disconnect()
        pub.loop_stop()
        for proc in procs:
            proc.send_signal(signal.SIGCONT)
            proc.terminate()
            proc.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--processes", type=int, default=2, help="also run N collector processes on a shared group")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    msgs = records(args.messages)
    payloads = [encode(m) for m in msgs]
    topics = [str(m.topic) for m in msgs]
    print(f"{args.messages} messages, {sum(map(len, payloads)) / len(payloads):.0f} bytes mean payload, "
          f"{datetime.now(UTC).isoformat(timespec='seconds')}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        broker = MosquittoBroker(work / "mosquitto", extra_config="allow_anonymous true\nlog_type error\n")
        influx = InfluxServer(work / "influxdb")
        broker.start()
        influx.start()
        try:
            print(f"mosquitto pub->sub alone (QoS 1, C clients): {mosquitto_alone(broker, payloads):8.0f} msgs/s")
            rate, points = influx_alone(influx, msgs, 500)
            print(f"InfluxDB raw /write alone (500 msgs/POST):   {rate:8.0f} msgs/s ({rate * points / len(msgs):.0f} "
                  "points/s)")  # fmt: skip
            port = influx.url.rsplit(":", 1)[1]
            rate = collector_rate(broker, f"influxdb://127.0.0.1:{port}/mpp", work / "var", payloads, topics)
            print(f"collector -> InfluxDB (QoS 1, ack after write): {rate:8.0f} msgs/s")
            rate = collector_rate(broker, f"sqlite:///{work}/mpp.db", work / "var", payloads, topics)
            print(f"collector -> SQLite (QoS 1, ack after write):   {rate:8.0f} msgs/s")
            if args.processes > 1:
                url = f"influxdb://127.0.0.1:{port}/shared"
                httpx.post(f"{influx.url}/query", data={"q": 'CREATE DATABASE "shared"'})
                rate = collector_processes_rate(broker, url, work, args.processes, payloads, topics)
                print(f"{args.processes} mpp-collector processes, $share group -> InfluxDB: {rate:8.0f} msgs/s")
        finally:
            broker.stop()
            influx.stop()


if __name__ == "__main__":
    main()
