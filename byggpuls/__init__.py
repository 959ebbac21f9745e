"""Byggpuls: what every service agrees on.

The reading model, the SenML codec, the MQTT topic grammar, the storage port and its adapters,
the registry database and the settings. The services (`gateway`, `ingest`, `analytics`, `api`)
depend on this package; it depends on none of them, except the CLI and the composition root,
which import the services lazily.
"""
