"""What the API, the dashboard and the monthly report compute, apart from HTTP.

Pure computations take the Store's row dataclasses plus explicit timezones and
schedules; the services (footfall, occupancy, staffing_report, waiting, devices,
monthly_query) read a ``Store`` and a ``Sites`` directory and return frozen
dataclasses that the routes map onto their response schemas. Nothing here
imports a web framework (an import-linter contract). Rendering (HTML, PDF) lives
in its own modules.
"""
