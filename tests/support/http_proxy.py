"""An HTTP proxy in front of one server (localstripe) that a test can tell
to swallow the response of the next request matching a path: the server did
the work (captured the card, say) but the client never hears back, as when
Stripe times out after capturing.

Each request is forwarded on its own upstream connection with
``Connection: close``; the response is read whole, then passed on, or
dropped (the client's connection is closed, or held open until the client
gives up when ``hang=True``). ``requests`` lists what went through.
"""
import re

import eventlet
from eventlet.green import socket


class HttpProxy:
    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.listener = eventlet.listen(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.rules = []
        self.requests = []
        self.acceptor = eventlet.spawn(self._accept)

    def swallow_next(self, path_pattern, method="POST", hang=False):
        """Drop the response of the next ``method`` request whose path matches."""
        self.rules.append((method.upper(), re.compile(path_pattern), hang))

    def swallowed(self):
        return [(m, p) for m, p, s in self.requests if s]

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            eventlet.spawn(self._serve, client)

    @staticmethod
    def _read_request(sock):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, body = data.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = [line.split(":", 1) for line in lines[1:] if ":" in line]
        length = next((int(v.strip()) for k, v in headers if k.strip().lower() == "content-length"), 0)
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        kept = [f"{k}:{v}" for k, v in headers
                if k.strip().lower() not in ("connection", "keep-alive", "proxy-connection")]
        raw = "\r\n".join([lines[0], *kept, "Connection: close"]).encode("latin-1")
        return method.upper(), path, raw + b"\r\n\r\n" + body

    def _serve(self, client):
        try:
            request = self._read_request(client)
            if request is None:
                return
            method, path, raw = request
            upstream = socket.create_connection(self.target)
            try:
                upstream.sendall(raw)
                response = b""
                while True:
                    chunk = upstream.recv(65536)
                    if not chunk:
                        break
                    response += chunk
            finally:
                upstream.close()
            rule = next((r for r in self.rules if r[0] == method and r[1].search(path)), None)
            if rule is not None:
                self.rules.remove(rule)
                self.requests.append((method, path, True))
                if rule[2]:                      # hang until the client gives up
                    while client.recv(65536):
                        pass
                return
            self.requests.append((method, path, False))
            client.sendall(response)
        except (OSError, EOFError, eventlet.hubs.IOClosed):
            pass
        finally:
            try:
                client.close()
            except OSError:
                pass

    def close(self):
        self.acceptor.kill()
        self.listener.close()
