"""Records/s from the on-disk outbox to mosquitto (QoS 1, row deleted after PUBACK),
beside mosquitto's own mosquitto_pub -> mosquitto_sub rate for the same payloads, same run.

    .venv/bin/python benchmarks/forwarder_throughput.py --records 20000

Both sides use one local mosquitto 2 broker (plain TCP on 127.0.0.1), QoS 1 and the same
JSON payload (a real LineCounts record, about 300 bytes). The forwarder figure is end to end:
from starting the forwarder on a full outbox until every row is acknowledged and deleted
(synchronous=FULL commits); mosquitto_sub -C N confirms every message reached a subscriber.
"""

from __future__ import annotations

import argparse
import getpass
import socket
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from edge.config import MqttConfig, OutboxConfig
from edge.outbox.forwarder import Forwarder
from edge.outbox.mqtt_link import MqttLink
from edge.outbox.sqlite_outbox import SqliteOutbox
from wire import LineCounts, encode

START = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def records(count: int) -> list[LineCounts]:
    return [
        LineCounts(
            site="bench",
            device="dev-1",
            timezone="Asia/Jakarta",
            interval_start=START + timedelta(seconds=i),
            interval_s=1,
            observed_s=1.0,
            line="pintu-utama",
            role="entrance",
            in_count=i % 9,
            out_count=i % 4,
        )
        for i in range(count)
    ]


def start_subscriber(port: int, topic: str, count: int) -> subprocess.Popen[bytes]:
    sub = subprocess.Popen(
        ["mosquitto_sub", "-p", str(port), "-t", topic, "-q", "1", "-C", str(count), "-V", "mqttv5"],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)  # subscribed before the first publish
    return sub


def bench_forwarder(port: int, batch: list[LineCounts], workdir: Path, window: int) -> float:
    outbox = SqliteOutbox(OutboxConfig(path=workdir / f"outbox-{window}.db", max_bytes=1 << 30))
    for i in range(0, len(batch), 100):
        outbox.put(batch[i : i + 100])
    sub = start_subscriber(port, "mpp/v1/bench/#", len(batch))
    link = MqttLink(MqttConfig(url=f"mqtt://127.0.0.1:{port}"), "bench", "dev-1", client_id=f"bench-{window}")
    link.set_max_inflight(window)
    forwarder = Forwarder(outbox, link, window=window)
    link.start()
    assert link.wait_connected(10)
    started = time.perf_counter()
    forwarder.start()
    assert forwarder.wait_drained(600), "outbox did not drain"
    acked_s = time.perf_counter() - started
    assert sub.wait(timeout=120) == 0, "the subscriber did not receive every record"
    forwarder.stop()
    link.stop()
    assert outbox.depth() == 0
    outbox.close()
    return len(batch) / acked_s


def bench_mosquitto_pub(port: int, batch: list[LineCounts]) -> float:
    lines = b"".join(encode(r) + b"\n" for r in batch)
    sub = start_subscriber(port, "bench/pub", len(batch))
    started = time.perf_counter()
    subprocess.run(
        ["mosquitto_pub", "-p", str(port), "-t", "bench/pub", "-q", "1", "-l", "-V", "mqttv5"], input=lines, check=True
    )
    sub.wait(timeout=600)
    return len(batch) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--windows", default="20,100")
    args = parser.parse_args()
    batch = records(args.records)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        port = free_port()
        config = workdir / "mosquitto.conf"
        config.write_text(
            f"listener {port} 127.0.0.1\nallow_anonymous true\nuser {getpass.getuser()}\nmax_queued_messages 1000000\n"
        )
        broker = subprocess.Popen(["mosquitto", "-c", str(config)], stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        try:
            size = len(encode(batch[0]))
            print(f"{args.records} records of {size} bytes, QoS 1, local mosquitto 2")
            reference = bench_mosquitto_pub(port, batch)
            print(f"mosquitto_pub -q 1 -l -> mosquitto_sub -C N: {reference:,.0f} msg/s")
            for window in (int(w) for w in args.windows.split(",")):
                acked = bench_forwarder(port, batch, workdir, window)
                print(
                    f"forwarder (outbox -> PUBACK -> row deleted), window {window}: {acked:,.0f} records/s; "
                    "mosquitto_sub got all"
                )
        finally:
            broker.terminate()
            broker.wait(10)


if __name__ == "__main__":
    main()
