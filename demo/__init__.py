"""`make demo`: the whole system on one machine, on embedded defaults.

Starts an MQTT broker (unless ``MQTT_URL`` names one), the collector on SQLite
through its real entry point, and an edge device as a subprocess that replays
a sample clip once for each of today's hours so far, up to eight (site
``video-demo``; the demo opens the site during those hours), so the dashboard fills
with footfall and gerai occupancy; beside it, a simulated history of four MPPs over 15
months, labelled "(simulasi)" (``history``). Prints the dashboard URL and a login token.
Ctrl-C, SIGTERM or closing the terminal (SIGHUP) stops everything in reverse
order; if the demo itself dies (SIGKILL), the kernel kills its children.

Environment: ``MQTT_URL`` (external broker), ``MQTT_PORT`` (port of the
demo's own broker), ``VIDEO``, ``MODEL``, ``MPP_SHARED_DIR``, ``MPP_LISTEN``,
``MPP_API_TOKEN``, ``MPP_DEMO_DIR`` (default ``var/demo``), ``MPP_DEMO_HISTORY`` (``0``: no
simulated history).

A program of its own, beside edge and collector: it may import both, and
nothing imports it (an import-linter contract); it is not in the wheel.

- ``settings``: environment -> DemoSettings; ``assets``: the clip and the model
- ``edge_config``: the device config of one replay, validated by the edge's own schema
- ``supervision``: the broker and child processes, tied to the demo's life
- ``history``: the simulated history, as wire records written through the store's API
- ``admin_client``: the collector's admin API (site names, opening hours, gerai)
- ``orchestration``: start, replay, stop in order; ``main``
"""
