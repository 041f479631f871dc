"""A pool of standalone RPC clients: nameko's standalone client waits for its
replies in the calling green thread, so concurrent callers each need their own."""
from contextlib import contextmanager

from eventlet.queue import LightQueue
from nameko.standalone.rpc import ClusterRpcClient


class RpcPool:
    def __init__(self, size, context_data=None, timeout=30):
        self._clients = [ClusterRpcClient(context_data=context_data, timeout=timeout)
                         for _ in range(size)]
        self._free = LightQueue()
        for client in self._clients:
            self._free.put(client.start())

    @contextmanager
    def client(self):
        client = self._free.get()
        try:
            yield client
        finally:
            self._free.put(client)

    def call(self, service, method, *args, **kwargs):
        with self.client() as client:
            return client[service][method](*args, **kwargs)

    def close(self):
        for client in self._clients:
            client.stop()
