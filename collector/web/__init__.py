"""The dashboard: static files served by the API app (static/), charts via the bundled Chart.js."""
