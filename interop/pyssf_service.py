"""PySSF 0.4.7 serving the OCCI 1.1 infrastructure model on 127.0.0.1 (Python 2.7, wsgiref).

Usage: python2.7 pyssf_service.py PORT
Backends keep what the framework gives them: PySSF itself stores the entities in its
in-memory registry; the backends only accept every create, update, delete and action.
"""
import sys
from wsgiref.simple_server import make_server, WSGIRequestHandler

from occi import backend, wsgi
from occi.extensions import infrastructure


class AcceptAll(backend.MixinBackend, backend.ActionBackend):
    """Accepts every operation, as a backend without a cloud behind it does (a MixinBackend
    is a KindBackend too, so one backend serves Kinds, Mixins and Actions)."""

    def create(self, entity, extras):
        pass

    def retrieve(self, entity, extras):
        pass

    def update(self, old, new, extras):
        for key, value in new.attributes.items():
            old.attributes[key] = value

    def replace(self, old, new, extras):
        old.attributes = new.attributes

    def delete(self, entity, extras):
        pass

    def action(self, entity, action, attributes, extras):
        pass


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def main():
    port = int(sys.argv[1])
    app = wsgi.Application()
    accept_all = AcceptAll()
    for category in (infrastructure.COMPUTE, infrastructure.NETWORK,
                     infrastructure.STORAGE, infrastructure.NETWORKINTERFACE,
                     infrastructure.STORAGELINK, infrastructure.IPNETWORK,
                     infrastructure.IPNETWORKINTERFACE,
                     infrastructure.RESOURCE_TEMPLATE,
                     infrastructure.OS_TEMPLATE,
                     infrastructure.START, infrastructure.STOP,
                     infrastructure.RESTART, infrastructure.SUSPEND,
                     infrastructure.UP, infrastructure.DOWN,
                     infrastructure.ONLINE, infrastructure.OFFLINE,
                     infrastructure.BACKUP, infrastructure.SNAPSHOT,
                     infrastructure.RESIZE):
        app.register_backend(category, accept_all)
    server = make_server('127.0.0.1', port, app, handler_class=Quiet)
    sys.stdout.write('listening on 127.0.0.1:%d\n' % port)
    sys.stdout.flush()
    server.serve_forever()


if __name__ == '__main__':
    main()
