"""The edge gateway: reads a building's sensors and gets every reading to the broker.

    drivers/ (simulated, csv_replay, modbus) -> spool.py (SQLite, disk) -> publisher.py (MQTT)

- :mod:`gateway.drivers` turn a source into readings; each registers itself by name.
- :mod:`gateway.spool` keeps every reading on disk, cut into numbered SenML packs by
  :mod:`gateway.packer`, until the broker acknowledged it; when full it drops the oldest and
  counts them.
- :mod:`gateway.publisher` sends the packs in order (QoS 1, a bounded window in flight) on the
  MQTT session it is given, with the retained ``meta`` and ``status`` (birth, Last Will
  ``offline``) on every connect.
- :mod:`gateway.runtime` runs one driver, spool and publisher as a gateway;
  :mod:`gateway.supervisor` runs gateways until stopped, with progress lines
  (:mod:`gateway.progress`). ``cli.bootstrap.build_gateways`` builds them from settings
  (:mod:`gateway.config`) and the options of ``byggpuls gateway`` (``cli.commands.gateway``).
- :mod:`simulation` simulates a portfolio of buildings, the ``simulated`` driver's source.
"""
