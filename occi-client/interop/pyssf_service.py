# A PySSF 0.4.7 service for checking `occi` against a live PySSF: compute, network,
# networkinterface and an OS template, with backends that accept everything and move
# compute state on start/stop. Python 2.7:
#
#   pip install --target target/pyssf/lib pyssf==0.4.7
#   PYTHONPATH=target/pyssf/lib python2.7 occi-client/interop/pyssf_service.py 18600
#   OCCI_ENDPOINT=http://127.0.0.1:18600 target/debug/occi discover
import sys
from wsgiref.simple_server import make_server
from occi.backend import KindBackend, ActionBackend, MixinBackend
from occi.core_model import Mixin
from occi.extensions import infrastructure as infra
from occi.wsgi import Application


class Compute(KindBackend, ActionBackend):
    def create(self, entity, extras):
        entity.attributes['occi.compute.state'] = 'inactive'
        entity.actions = [infra.START]

    def update(self, old, new, extras):
        old.attributes.update(new.attributes)

    def replace(self, old, new, extras):
        old.attributes = new.attributes

    def action(self, entity, action, attributes, extras):
        if action == infra.START:
            entity.attributes['occi.compute.state'] = 'active'
            entity.actions = [infra.STOP]
        elif action == infra.STOP:
            entity.attributes['occi.compute.state'] = 'inactive'
            entity.actions = [infra.START]


class Plain(KindBackend):
    pass


UBUNTU = Mixin('http://example.com/templates/os#', 'ubuntu',
               related=[infra.OS_TEMPLATE], title='Ubuntu', location='/templates/os/ubuntu/')

app = Application()
compute = Compute()
app.register_backend(infra.COMPUTE, compute)
app.register_backend(infra.START, compute)
app.register_backend(infra.STOP, compute)
app.register_backend(infra.NETWORK, Plain())
app.register_backend(infra.NETWORKINTERFACE, Plain())
app.register_backend(infra.OS_TEMPLATE, MixinBackend())
app.register_backend(UBUNTU, MixinBackend())

port = int(sys.argv[1]) if len(sys.argv) > 1 else 18600
make_server('127.0.0.1', port, app).serve_forever()
