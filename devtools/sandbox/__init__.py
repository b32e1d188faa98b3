"""Local stand-ins for the X, Graph (Facebook, Instagram) and LinkedIn APIs, for the demo and the tests.

Run it: `python -m devtools.sandbox --port 8001`. Use it in-process:

    with SandboxServer(port=0, rate=0.0, seed=1) as sandbox:
        requests.get(f"{sandbox.url}/_sandbox/health")
"""

from devtools.sandbox.server import Sandbox, SandboxServer

__all__ = ["Sandbox", "SandboxServer"]
