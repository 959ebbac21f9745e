"""The HTTP API and the dashboard: ``/api/v1`` (JSON, OpenAPI at ``/docs``) and ``/`` (HTML).

``main.create_app`` wires the routers in ``routes/`` (``buildings``, ``series``, ``findings``,
``health``, ``metrics``, ``dashboard``) to the adapters the composition root hands in, which
``deps`` passes to the routes. ``portfolio`` joins registry and reading store into what people
see; ``problems``, ``errors`` and ``openapi`` make every error RFC 9457 problem details;
``web``, ``formatting`` and ``keypoints`` serve the pages; ``command`` is ``byggpuls api``.
"""
