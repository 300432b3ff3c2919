"""A Hurtle Service Orchestrator on PySSF 0.4.7, shaped like the sample SO (Python 2.7).

Usage: python2.7 so_pyssf.py PORT [--create-ms N] [--update-ms N] [--output NAME=VALUE]...
                                  [--fail] [--sample-update-bug] [--exit-on-stdin-eof]

The OCCI side is what the Hurtle SDK's `sdk.mcn.occi_ext` gives an SO (docs:
hurtle.md section 2): Kind `orchestrator` of
http://schemas.mobile-cloud-networking.eu/occi/service# with the actions deploy and provision,
a 403 gate on X-Auth-Token and X-Tenant-Name ahead of PySSF, and a backend shaped like the
sample SO's `MyBackend`: create on PUT /orchestrator/default offers deploy, deploy offers
provision, provision offers nothing, an action not offered answers 400 `Not applicable atm.`,
retrieve reports `uninitialized`/`N/A` until deployed and the stack's status, id and outputs
afterwards, update by POST merges the attributes and updates the stack, DELETE disposes it.

Heat is replaced by a simulated stack: CREATE_IN_PROGRESS for --create-ms after deploy, then
CREATE_COMPLETE (CREATE_FAILED with --fail); UPDATE_IN_PROGRESS for --update-ms after
provision or an update, then UPDATE_COMPLETE; id `RegionOne:<uuid>`; the --output pairs are
its outputs. The sample SO's update crashed (KeyError 'hash', which PySSF answers 404
`'hash'`); --sample-update-bug reproduces that, the default is the intended behaviour (200).
"""
import argparse
import os
import sys
import threading
import time
import uuid
from wsgiref.simple_server import make_server, WSGIRequestHandler

from occi import backend, core_model, wsgi

# ---- sdk.mcn.occi_ext ----------------------------------------------------------------------

SCHEME = 'http://schemas.mobile-cloud-networking.eu/occi/service#'
DEPLOY_ACTION = core_model.Action(SCHEME, 'deploy')
PROVISION_ACTION = core_model.Action(SCHEME, 'provision')
ATTRS = {'occi.mcn.stack.state': 'immutable',
         'occi.mcn.stack.id': 'immutable'}
ORCHESTRATOR = core_model.Kind(SCHEME, 'orchestrator',
                               related=[core_model.Resource.kind],
                               attributes=ATTRS,
                               actions=[DEPLOY_ACTION, PROVISION_ACTION])


class Application(wsgi.Application):
    """The SDK's SO application: the token and tenant headers must be present (they are not
    checked), and reach the backends as extras."""

    def __init__(self, so_backend):
        super(Application, self).__init__()
        self.register_backend(ORCHESTRATOR, so_backend)
        self.register_backend(DEPLOY_ACTION, so_backend)
        self.register_backend(PROVISION_ACTION, so_backend)

    def __call__(self, environ, response):
        # The SDK answers these itself; a bare string as the WSGI body (written a character
        # at a time) leaves the response without Content-Length, as the original's was.
        if 'HTTP_X_AUTH_TOKEN' not in environ:
            response('403 Forbidden', [('Content-type', 'text/plain')])
            return 'X-Auth-Token required...'
        if 'HTTP_X_TENANT_NAME' not in environ:
            response('403 Forbidden', [('Content-type', 'text/plain')])
            return 'X-Tenant-Name required...'
        return self._call_occi(environ, response,
                               token=environ['HTTP_X_AUTH_TOKEN'],
                               tenant_name=environ['HTTP_X_TENANT_NAME'])


class Backend(backend.KindBackend, backend.ActionBackend):
    """The SDK's backend: actions are dispatched only while the entity offers them."""

    def deploy_me(self, entity, attributes, extras):
        raise NotImplementedError()

    def provision_me(self, entity, attributes, extras):
        raise NotImplementedError()

    def action(self, entity, action, attributes, extras):
        if action not in entity.actions:
            raise AttributeError('Not applicable atm.')
        elif action == DEPLOY_ACTION:
            self.deploy_me(entity, attributes, extras)
        elif action == PROVISION_ACTION:
            self.provision_me(entity, attributes, extras)


# ---- the stack (Heat's stand-in) -----------------------------------------------------------

class SimulatedStack(object):
    """What the sample SO's `so_e` did with Heat, on a clock: deploy creates a stack,
    provision and update update it, state() reports (status, id, outputs), dispose deletes."""

    def __init__(self, token, tenant, options):
        self.token = token
        self.tenant = tenant
        self.options = options
        self.stack_id = None
        self.status = None
        self.until = 0.0
        self.after = None

    def design(self):
        pass

    def _start(self, status, final, delay_ms):
        self.status = status
        self.after = final
        self.until = time.time() + delay_ms / 1000.0

    def deploy(self):
        self.stack_id = 'RegionOne:' + str(uuid.uuid4())
        self._start('CREATE_IN_PROGRESS',
                    'CREATE_FAILED' if self.options.fail else 'CREATE_COMPLETE',
                    self.options.create_ms)

    def provision(self):
        self._start('UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE', self.options.update_ms)

    def update(self, old, new, extras):
        if self.options.sample_update_bug:
            # The sample SO's update read a stack template hash it never stored.
            raise KeyError('hash')
        if self.stack_id is not None:
            self._start('UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE', self.options.update_ms)

    def state(self):
        if self.after is not None and time.time() >= self.until:
            self.status, self.after = self.after, None
        outputs = None
        if self.status in ('CREATE_COMPLETE', 'UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE'):
            outputs = [{'output_key': key, 'output_value': value}
                       for key, value in self.options.outputs]
        return self.status, self.stack_id, outputs

    def dispose(self):
        self.stack_id = None
        self.status = None


class ServiceOrchestrator(object):
    """The sample SO's ServiceOrchestrator: holds the execution part (`so_e`)."""

    def __init__(self, token, tenant, options):
        self.so_e = SimulatedStack(token, tenant, options)


# ---- the sample SO's MyBackend -------------------------------------------------------------

class MyBackend(Backend):

    def __init__(self, options):
        self.options = options
        self.so = None

    def create(self, entity, extras):
        self.so = ServiceOrchestrator(extras['token'], extras['tenant_name'], self.options)
        self.so.so_e.design()
        entity.actions = [DEPLOY_ACTION]

    def retrieve(self, entity, extras):
        if DEPLOY_ACTION in entity.actions:
            entity.attributes['occi.mcn.stack.state'] = 'uninitialized'
            entity.attributes['occi.mcn.stack.id'] = 'N/A'
        else:
            state, stack_id, stack_output = self.so.so_e.state()
            entity.attributes['occi.mcn.stack.state'] = state
            entity.attributes['occi.mcn.stack.id'] = stack_id
            if stack_output is not None:
                for item in stack_output:
                    entity.attributes[item['output_key']] = item['output_value']

    def update(self, old, new, extras):
        old.attributes.update(new.attributes)
        self.so.so_e.update(old, new, extras)

    def delete(self, entity, extras):
        self.so.so_e.dispose()

    def deploy_me(self, entity, attributes, extras):
        self.so.so_e.deploy()
        entity.actions = [PROVISION_ACTION]

    def provision_me(self, entity, attributes, extras):
        self.so.so_e.provision()
        entity.actions = []


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def output_pair(text):
    if '=' not in text:
        raise argparse.ArgumentTypeError('expected NAME=VALUE: %r' % text)
    name, value = text.split('=', 1)
    if ', ' in value or '=' in value:
        raise argparse.ArgumentTypeError('the SM cannot read a value with ", " or "=": %r'
                                         % value)
    return name, value


def exit_on_stdin_eof():
    """The CC holds our stdin as a pipe: when it goes away, so do we."""
    def watch():
        while sys.stdin.read(4096):
            pass
        os._exit(0)
    thread = threading.Thread(target=watch)
    thread.daemon = True
    thread.start()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('port', type=int)
    parser.add_argument('--create-ms', type=int, default=int(os.environ.get('SO_CREATE_MS', 2000)))
    parser.add_argument('--update-ms', type=int, default=int(os.environ.get('SO_UPDATE_MS', 1000)))
    parser.add_argument('--output', dest='outputs', type=output_pair, action='append',
                        default=[])
    parser.add_argument('--fail', action='store_true')
    parser.add_argument('--sample-update-bug', action='store_true')
    parser.add_argument('--exit-on-stdin-eof', action='store_true')
    options = parser.parse_args()

    if options.exit_on_stdin_eof:
        exit_on_stdin_eof()
    application = Application(MyBackend(options))
    server = make_server('127.0.0.1', options.port, application, handler_class=Quiet)
    sys.stdout.write('SO listening on 127.0.0.1:%d\n' % options.port)
    sys.stdout.flush()
    server.serve_forever()


if __name__ == '__main__':
    main()
