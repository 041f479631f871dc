"""A TCP proxy the tests can cut and restore: a broker or database outage
for one client, without touching the shared servers."""
import eventlet
from eventlet.green import socket


class Proxy:
    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.listener = eventlet.listen(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.pairs = []
        self.acceptor = eventlet.spawn(self._accept)

    def _accept(self):
        while True:
            client, _ = self.listener.accept()
            if not self.up:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            pair = (client, upstream)
            self.pairs.append(pair)
            eventlet.spawn(self._pipe, client, upstream)
            eventlet.spawn(self._pipe, upstream, client)

    @staticmethod
    def _pipe(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except (OSError, EOFError, eventlet.hubs.IOClosed):
            pass
        finally:
            # shut ``dst`` down rather than close it: the other direction may be
            # reading it, and a socket closed under a green thread's read leaves
            # that reader registered with the hub on a descriptor the next socket
            # or pipe reuses. Woken by the shutdown, it closes ``dst`` itself.
            _shut(dst)
            try:
                src.close()
            except (OSError, EOFError):
                pass

    def cut(self):
        """Refuse new connections and break the open ones (each pipe, woken by
        the shutdown, closes its own socket)."""
        self.up = False
        for a, b in self.pairs:
            _shut(a)
            _shut(b)
        self.pairs.clear()

    def restore(self):
        self.up = True

    def close(self):
        self.cut()
        self.acceptor.kill()
        self.listener.close()


def _shut(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except (OSError, EOFError):
        pass
