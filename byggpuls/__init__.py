"""Byggpuls: the contract every service agrees on.

The reading model, the SenML codec, the MQTT topic grammar and wire payloads, units, the
Norwegian calendar, errors, settings and logs, the storage port and its adapters, the MQTT
session, and the registry database. It imports no service, no simulator and no entry point:
the layering test in ``tests/test_layering.py`` checks it.
"""
