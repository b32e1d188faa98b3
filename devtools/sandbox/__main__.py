"""`python -m devtools.sandbox`: serve the fake networks until interrupted."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from devtools.sandbox.scenarios import SCENARIOS
from devtools.sandbox.server import SandboxServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--state", default=None, help="JSON file that keeps the world across restarts")
    parser.add_argument("--rate", type=float, default=0.2, help="customer posts per second (0: none)")
    parser.add_argument("--scenario", default="steady", choices=sorted(SCENARIOS))
    parser.add_argument("--seed", type=int, default=1, help="same seed, same customer posts")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    if args.rate < 0:
        parser.error("--rate must not be negative")

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s sandbox %(levelname)s %(message)s",
    )
    server = SandboxServer(
        args.host, args.port, rate=args.rate, seed=args.seed, state_path=args.state, scenario=args.scenario
    )
    done = threading.Event()

    def _stop(signum: int, frame: object) -> None:
        done.set()

    # SIGTERM (honcho, docker) as well as Ctrl-C: stop cleanly so the state file is written.
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    server.start()
    logging.getLogger("devtools.sandbox").info(
        "serving X at %s/x, Graph at %s/graph, LinkedIn at %s/linkedin, control at %s/_sandbox/health",
        server.url,
        server.url,
        server.url,
        server.url,
    )
    done.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
