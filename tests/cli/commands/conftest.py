"""The gateway command's process tests use the gateway tests' broker collector and devices."""

from tests.gateway.conftest import collector, data_dir, modbus_server_factory, wait_until

__all__ = ["collector", "data_dir", "modbus_server_factory", "wait_until"]
