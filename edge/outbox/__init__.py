"""Store-and-forward from the frame loop to the broker.

``SqliteOutbox`` is written before anything is published; ``Forwarder`` moves
rows to ``MqttLink`` (the edge's only paho import) and deletes a row only after
the broker's PUBACK; ``HealthReporter`` publishes the periodic health message.
"""
