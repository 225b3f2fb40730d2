"""Offline evaluation suites. Each suite reads fixed fixtures and returns a `SuiteResult`."""
