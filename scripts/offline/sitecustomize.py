"""Block every network connection except to this machine (loaded via PYTHONPATH).

`make test` puts this folder on PYTHONPATH while it executes the notebooks, so each
Jupyter kernel starts with it: a notebook that tries to reach the internet fails with
a clear OSError, which proves the course runs offline. Loopback (127.0.0.0/8, ::1,
localhost) and Unix sockets still work, so Jupyter itself is unaffected.
"""

import ipaddress
import socket

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


class NetworkBlockedError(OSError):
    """Raised for any connection that would leave this machine."""


def _is_local(host) -> bool:
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check(address):
    if isinstance(address, tuple) and address and not _is_local(address[0]):
        raise NetworkBlockedError(f"network access is blocked in this test run (tried {address[0]})")


def _connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check(address)
    return _real_connect(self, address)


def _connect_ex(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check(address)
    return _real_connect_ex(self, address)


def _getaddrinfo(host, *args, **kwargs):
    if isinstance(host, bytes):
        host = host.decode()
    if not _is_local(host):
        raise NetworkBlockedError(f"network access is blocked in this test run (looked up {host})")
    return _real_getaddrinfo(host, *args, **kwargs)


socket.socket.connect = _connect
socket.socket.connect_ex = _connect_ex
socket.getaddrinfo = _getaddrinfo
