"""``mpp-edge setup``: the installer's web page (edge.setup.server) over a live view of the
device's own pipeline (edge.setup.live)."""
