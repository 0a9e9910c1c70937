"""A tiny app that exists only in the tests (tests/sample_settings.py installs it).

It proves that an app adds a console page, an API route and a role permission from its own
files alone: nothing outside this folder names it except the settings that install it and the
test that runs it (tests/kernel/test_registry.py, which runs scenario.py in a child pytest).
"""
