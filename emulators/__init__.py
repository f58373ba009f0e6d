"""HTTP emulators of Pennylane and of each source API, for the demo and the tests.

Each emulator is an ASGI app (Starlette) speaking the vendor's documented API: real paths,
parameters, field names, pagination, error bodies and rate limits. The same app runs in-process
(through ``httpx.ASGITransport``) or over a real socket (:func:`emulators.server.serve`), so the client code
that talks to the emulator is exactly the production client code; only the base URL differs.
"""
