"""A local appliance for demos, tests and benchmarks.

``generate.SimulatedSite`` makes deterministic session data; ``server.SimulatorServer`` serves
it over HTTPS as the appliance API does, with ``faults.Faults`` to make it fail on purpose.
"""
