"""TLS towards the broker: the client context of an ``mqtts://`` session, and its settings check."""

from __future__ import annotations

import ssl
from typing import Any

from byggpuls.errors import ConfigError
from byggpuls.settings import CommonSettings


class TlsContext(ssl.SSLContext):
    """A client TLS context that keeps the socket it wrapped last.

    When the TLS handshake fails (an unknown CA, a wrong host name), paho raises before the
    socket is its own, and nobody closes it; :meth:`close_unclaimed` does.
    """

    wrapped: ssl.SSLSocket | None = None

    @classmethod
    def for_settings(cls, settings: CommonSettings) -> TlsContext:
        """Verify the broker against ``mqtt_ca_file`` (else the system's CAs) and its host
        name; present ``mqtt_cert_file`` and ``mqtt_key_file`` when given."""
        context = cls(ssl.PROTOCOL_TLS_CLIENT)  # certificate and host name checked
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if settings.mqtt_ca_file is not None:
            context.load_verify_locations(cafile=settings.mqtt_ca_file)
        else:
            context.load_default_certs()
        if settings.mqtt_cert_file is not None:
            context.load_cert_chain(settings.mqtt_cert_file, settings.mqtt_key_file)
        return context

    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        self.wrapped = super().wrap_socket(*args, **kwargs)
        return self.wrapped

    def close_unclaimed(self, claimed: object) -> None:
        """Close the socket wrapped last unless it is ``claimed`` (the client's own)."""
        wrapped, self.wrapped = self.wrapped, None
        if wrapped is not None and wrapped is not claimed:
            wrapped.close()


def check_settings(settings: CommonSettings) -> None:
    """Raise :class:`ConfigError` for broker settings that cannot work (TLS files on mqtt://)."""
    if settings.mqtt.scheme != "mqtts" and (settings.mqtt_cert_file or settings.mqtt_ca_file):
        raise ConfigError(
            "BYGGPULS_MQTT_CA_FILE/CERT_FILE are set but BYGGPULS_MQTT_URL is not mqtts://"
        )


__all__ = ["TlsContext", "check_settings"]
