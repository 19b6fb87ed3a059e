"""A hostile neighbour and a hostile network for the tests: a second local user, evil servers, a full disk."""

import errno
import http.server
import os
import pickle
import subprocess
import threading
import time
import traceback

import pytest

OTHER_UID = 65534  # nobody: the "other local user"

needs_root = pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0,
                                reason="acting as a second local user needs root")


def as_user(func, uid=OTHER_UID):
    """Run ``func()`` in a forked child as ``uid``; return its result, or re-raise its exception as RuntimeError."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        os.close(read)
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            outcome = ("ok", func())
        except BaseException as exc:  # noqa: BLE001 - handed to the parent
            outcome = ("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")
        with os.fdopen(write, "wb") as pipe:
            pickle.dump(outcome, pipe)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    kind, value = pickle.loads(data)
    if kind == "error":
        raise RuntimeError(value)
    return value


class Occupant:
    """Another user's process listening on ``(host, port)`` until stopped."""

    def __init__(self, host, port, uid=OTHER_UID):
        code = (f"import os, socket, sys, time; os.setgroups([]); os.setgid({uid}); os.setuid({uid});"
                "s = socket.socket(socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET);"
                "s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(); print('listening', os.getuid(), flush=True);"
                "time.sleep(60)")
        self.proc = subprocess.Popen(["python3", "-c", code, host, str(port)], stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().split()
        assert line == ["listening", str(uid)], line

    def stop(self):
        self.proc.kill()
        self.proc.wait()


# -- servers --------------------------------------------------------------------------------------------


class Server:
    """A stdlib HTTP server on loopback answering with ``answer(handler)``; records every request."""

    def __init__(self, answer, host="127.0.0.1"):
        self.requests = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def handle_one(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                server.requests.append((self.command, self.path, dict(self.headers.items()), body))
                try:
                    answer(self)
                except OSError:
                    pass  # the client gave up: that is what these servers test

            do_GET = do_POST = do_PUT = handle_one  # noqa: N815

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://{host}:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def reply(handler, status, body=b"", headers=()):
    handler.send_response(status)
    for name, value in headers:
        handler.send_header(name, value)
    if not any(name.lower() in ("content-length", "transfer-encoding") for name, _ in headers):
        handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def redirecting(status, target):
    """A server answering every request with ``status`` and ``Location: target + path``."""
    return Server(lambda h: reply(h, status, headers=[("Location", target + h.path)]))


def trickling(part, interval=0.5):
    """A server that sends its answer's ``part`` ("headers" or "body") one byte every ``interval`` seconds."""

    def answer(handler):
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n"
        body = b'{"trickled": "' + b"x" * 24 + b'"}'
        slow = head if part == "headers" else body
        if part == "body":
            handler.wfile.write(head)
        for byte in slow:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(interval)
        if part == "headers":
            handler.wfile.write(body)
        handler.close_connection = True

    return Server(answer)


# -- a full disk ------------------------------------------------------------------------------------------


class FullDisk:
    """A directory on a 64 KiB tmpfs that can be filled to the last byte, or, where mounting is not
    allowed, a directory whose writes fail with ENOSPC at the os.write boundary while ``full``."""

    def __init__(self, base, monkeypatch, kind):
        self.mount = os.path.join(base, "tiny")
        os.makedirs(self.mount)
        self.dir = os.path.join(self.mount, "config")
        self.tmpfs = kind == "tmpfs" and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", self.mount], capture_output=True
        ).returncode == 0
        if kind == "tmpfs" and not self.tmpfs:
            pytest.skip("cannot mount a tmpfs here; the injected ENOSPC variant runs instead")
        self.full = False
        if not self.tmpfs:
            real_write = os.write

            def write(fd, data):
                if self.full and os.readlink(f"/proc/self/fd/{fd}").startswith(self.mount):
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                return real_write(fd, data)

            monkeypatch.setattr(os, "write", write)

    def fill(self):
        self.full = True
        if not self.tmpfs:
            return
        with open(os.path.join(self.mount, "filler"), "wb", buffering=0) as f:
            for size in (4096, 1):
                try:
                    while True:
                        f.write(b"\0" * size)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC

    def free(self):
        self.full = False
        if self.tmpfs:
            os.unlink(os.path.join(self.mount, "filler"))

    def close(self):
        if self.tmpfs:
            subprocess.run(["umount", "-l", self.mount], check=False)
