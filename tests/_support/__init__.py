"""Helpers shared by the tests: a throw-away copy of the project for `sls`, moto's server."""
