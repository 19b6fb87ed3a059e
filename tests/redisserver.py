"""A real redis-server on a free loopback port in a directory of its own, for the tests and the benchmarks."""

import os
import shutil
import socket
import subprocess
import time

from pyTD.sandbox.ports import free_port

BINARY = "redis-server"


def installed():
    return shutil.which(BINARY) is not None


class RedisServer:
    """``redis-server`` in ``directory``; ``persist`` keeps the data across a restart (append-only file)."""

    def __init__(self, directory, *, persist=False, password=None):
        self.directory = str(directory)
        self.persist = persist
        self.password = password
        self.port = None
        self.process = None

    @property
    def url(self):
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self):
        """Start (or restart, on the same port) and wait until it answers."""
        os.makedirs(self.directory, exist_ok=True)
        for _ in range(5):  # another program may take a free port before we bind it
            port = self.port or free_port()
            args = [BINARY, "--port", str(port), "--bind", "127.0.0.1", "--dir", self.directory,
                    "--save", "", "--appendonly", "yes" if self.persist else "no", "--appendfsync", "always",
                    "--daemonize", "no", "--logfile", "redis.log"]
            if self.password:
                args += ["--requirepass", self.password]
            self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if self._answers(port):
                self.port = port
                return self
            self.stop()
        raise RuntimeError(f"redis-server did not start; see {os.path.join(self.directory, 'redis.log')}")

    def _answers(self, port, seconds=10.0):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(64).startswith((b"+PONG", b"-NOAUTH")):
                        return True
            except OSError:
                pass
            time.sleep(0.01)
        return False

    def stop(self):
        """Stop it (SIGTERM: an append-only file is complete) and wait until it has exited."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
