"""The network blocker that `make test` puts in every notebook kernel really blocks."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import ROOT

CODE = r"""
import socket, socketserver, threading
try:
    socket.create_connection(("93.184.216.34", 443), timeout=2)
    print("external: CONNECTED")
except OSError as exc:
    print("external:", type(exc).__name__)
try:
    socket.getaddrinfo("example.com", 443)
    print("dns: RESOLVED")
except OSError as exc:
    print("dns:", type(exc).__name__)
server = socketserver.TCPServer(("127.0.0.1", 0), socketserver.BaseRequestHandler)
threading.Thread(target=server.handle_request, daemon=True).start()
socket.create_connection(server.server_address, timeout=2).close()
print("loopback: ok")
"""


def run(blocked: bool) -> str:
    env = dict(os.environ)
    if blocked:
        env["PYTHONPATH"] = str(ROOT / "scripts" / "offline")
    return subprocess.run([sys.executable, "-c", CODE], env=env, capture_output=True, text=True,
                          timeout=60).stdout


def test_blocker_refuses_external_hosts_and_allows_loopback():
    out = run(blocked=True)
    assert "external: NetworkBlockedError" in out
    assert "dns: NetworkBlockedError" in out
    assert "loopback: ok" in out
