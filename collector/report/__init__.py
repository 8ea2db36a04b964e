"""Pure computations behind the API, the dashboard and the monthly report.

Nothing here imports a web framework or a store client: inputs are the Store's
row dataclasses plus explicit timezones and schedules, outputs are frozen
dataclasses. Rendering (HTML, PDF) lives in its own modules.
"""
