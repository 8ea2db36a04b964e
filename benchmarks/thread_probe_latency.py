"""Why the liveness listener is a process, not a thread: a health probe answered by a thread of a
process whose other threads run Python, measured from another process.

Each probe opens a connection, sends a GET and reads the answer; the serving thread does a handful of
system calls per probe, and at each it gives the GIL away and waits up to the switch interval (5 ms)
to get it back while BUSY threads compute.

    .venv/bin/python -m benchmarks.thread_probe_latency --busy 0 --busy 1 --busy 3
"""

from __future__ import annotations

import argparse
import socket
import statistics
import threading
import time

ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\nConnection: close\r\n\r\n"
    b'{"status":"ok"}'
)


def _busy(stop: threading.Event) -> None:
    total = 0
    while not stop.is_set():
        for i in range(1000):
            total += i * i


def _serve(listener: socket.socket) -> None:
    while True:
        conn, _ = listener.accept()
        conn.recv(4096)
        conn.sendall(ANSWER)
        conn.close()


def _probes(port: int, count: int) -> list[float]:
    took = []
    for _ in range(count):
        t0 = time.perf_counter()
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            while sock.recv(4096):
                pass
        took.append((time.perf_counter() - t0) * 1000)
        time.sleep(0.02)
    return sorted(took)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--busy", type=int, action="append", required=True, help="CPU-bound threads beside it")
    parser.add_argument("--probes", type=int, default=100)
    args = parser.parse_args()
    import multiprocessing

    for busy in args.busy:
        listener = socket.create_server(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        stop = threading.Event()
        for _ in range(busy):
            threading.Thread(target=_busy, args=(stop,), daemon=True).start()
        threading.Thread(target=_serve, args=(listener,), daemon=True).start()
        with multiprocessing.get_context("spawn").Pool(1) as pool:  # the prober: a process of its own
            took = pool.apply(_probes, (port, args.probes))
        stop.set()
        print(f"{busy} busy threads: p50 {statistics.median(took):.1f} ms, "
              f"p95 {took[int(0.95 * len(took)) - 1]:.1f} ms, max {took[-1]:.1f} ms", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
