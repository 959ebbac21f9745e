"""What it takes to try and test the platform on one machine; a gateway install needs none of it.

- :mod:`sandbox.demo`: ``byggpuls demo``'s supervisor of the whole platform.
- :mod:`sandbox.servers`: Mosquitto and InfluxDB started as child processes on free ports, for
  the demo and the tests.
- :mod:`sandbox.broker`: the in-process amqtt broker of a zero-setup demo.
- :mod:`sandbox.loadgen`: the load generator of the ingest benchmark.
"""
