"""The data layer: connections, schema, write sessions, credentials, demo data, imports.

Nothing here imports from the statistics, reporting or running layers.
"""
