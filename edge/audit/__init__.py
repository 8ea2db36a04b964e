"""``mpp-edge audit``: certify a device's accuracy at its own door.

A few minutes of the configured source are recorded to a private folder on the device
(edge.audit.recording), counted with the device's own config, and compared with the
crossings and zone presence an installer enters on the setup page (edge.audit.truth,
edge.audit.session). The result is kept on the device and published as a wire ``audit``
record; the recording is deleted when the audit is saved or abandoned.
"""
