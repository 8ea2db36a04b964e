"""Edge device: camera -> person tracking -> line and zone counting -> MQTT."""

__version__ = "0.1.0"
