"""Generic sandbox machinery: spec loading, validation, errors, storage, auth plumbing, pagination.

Nothing in this package knows about a particular API: the ImmigraFlow domain lives in
``sandbox.apis.immigraflow`` and plugs in through :class:`sandbox.engine.api.ApiPlugin`.
A test (``tests/engine/test_layers.py``) keeps this package from importing any API package.
"""
