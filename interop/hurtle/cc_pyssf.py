"""A Hurtle Cloud Controller northbound API on PySSF 0.4.7, OpenShift v3 flavour (Python 2.7).

Usage: python2.7 cc_pyssf.py PORT [--activate-ms N] [--so-arg=ARG]...

Shaped like hurtle_cc_api (docs: hurtle.md section 3): a PySSF application
behind a check that an Authorization header is present (401 `Please provide authentication
headers.` otherwise; the credentials themselves are never checked), Kind `app` of
http://schemas.ogf.org/occi/platform# with the v3 attributes (occi.app.name{required}
occi.app.image{required} occi.app.env occi.app.state{immutable}) and the actions start/stop of
http://schemas.ogf.org/occi/platform/app/action#, plus the Kinds component and componentlink.

OpenShift is replaced by a local adapter: creating an app starts `so_pyssf.py` (next to this
file) as a child process on a free loopback port, with the app's occi.app.env (K=V::K2=V2) in
its environment and its stdin a pipe from this process (so that it stops when the CC does);
the app reports occi.app.url="127.0.0.1:PORT", and occi.app.state "inactive" until the child
answers on its port (and --activate-ms have passed), then "active". DELETE stops the child.
What the v3 API did wrong is kept: GET /app/ answers 400 (the adapter has no list_apps), an
app offers no actions (start/stop answer 400), the app id is its name.
"""
import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from wsgiref.simple_server import make_server, WSGIRequestHandler

from occi import backend, core_model, registry, wsgi

HERE = os.path.dirname(os.path.abspath(__file__))

# ---- api.occi_ext (OpenShift3) -------------------------------------------------------------

APP_ATTR = {'occi.app.name': 'required',
            'occi.app.state': 'immutable',
            'occi.app.image': 'required',
            'occi.app.env': ''}
APP_START = core_model.Action('http://schemas.ogf.org/occi/platform/app/action#', 'start')
APP_STOP = core_model.Action('http://schemas.ogf.org/occi/platform/app/action#', 'stop')
APP = core_model.Kind('http://schemas.ogf.org/occi/platform#', 'app',
                      title='A PaaS application.', attributes=APP_ATTR,
                      related=[core_model.Resource.kind],
                      actions=[APP_START, APP_STOP])
COMPONENT = core_model.Kind('http://schemas.ogf.org/occi/platform#', 'component',
                            title='An Service component.',
                            related=[core_model.Resource.kind])
COMP_LINK = core_model.Kind('http://schemas.ogf.org/occi/platform#', 'componentlink',
                            related=[core_model.Link.kind])


# ---- the platform (OpenShift v3's stand-in) ------------------------------------------------

def free_port():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def answers(port):
    sock = socket.socket()
    sock.settimeout(0.2)
    try:
        sock.connect(('127.0.0.1', port))
        return True
    except socket.error:
        return False
    finally:
        sock.close()


class LocalAdapter(object):
    """Deploys each app as an SO child process. Like OpenShift3Adapter it has no list_apps."""

    PLATFORM = 'OpenShift3'

    def __init__(self, so_args, activate_ms):
        self.so_args = so_args
        self.activate_ms = activate_ms
        self.apps = {}  # name -> (process, port, started)

    def create_app(self, name, image, auth_header, env=None):
        if len(name) > 24:
            raise AttributeError('occi.app.name must not be greater than 24 characters')
        if name in self.apps:
            # OpenShift refuses a second DeploymentConfig of the same name.
            raise AttributeError('An app named %s exists already.' % name)
        child_env = os.environ.copy()
        for pair in (env or '').split('::'):
            if '=' in pair:
                key, value = pair.split('=', 1)
                child_env[key] = value
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, os.path.join(HERE, 'so_pyssf.py'), str(port),
             '--exit-on-stdin-eof'] + self.so_args,
            stdin=subprocess.PIPE, env=child_env)
        self.apps[name] = (process, port, time.time())
        sys.stdout.write('app %s: SO pid %d on 127.0.0.1:%d (image %s)\n'
                         % (name, process.pid, port, image))
        sys.stdout.flush()
        return {'data': {'id': name, 'scalable': 'False'}}

    def retrieve_app(self, uid, auth_header):
        process, port, started = self.apps[uid]
        ready = (process.poll() is None
                 and time.time() - started >= self.activate_ms / 1000.0
                 and answers(port))
        return {'data': {'app_url': '127.0.0.1:%d' % port, 'name': uid, 'state': ready}}, None

    def delete_app(self, uid, auth_header):
        process, _, _ = self.apps.pop(uid)
        stop(process)

    def stop_all(self):
        for uid in list(self.apps):
            self.delete_app(uid, None)


def stop(process):
    if process.poll() is None:
        process.terminate()
        for _ in range(50):
            if process.poll() is not None:
                break
            time.sleep(0.1)
        else:
            process.kill()
            process.wait()
    process.stdin.close()
    sys.stdout.write('SO pid %d stopped\n' % process.pid)
    sys.stdout.flush()


# ---- api.backends, api.registry, api.wsgi --------------------------------------------------

class AppBackend(backend.KindBackend, backend.ActionBackend):

    def __init__(self, glue):
        self.glue = glue

    def create(self, entity, extras):
        if 'occi.app.name' not in entity.attributes:
            raise AttributeError('occi.app.name is a required attribute')
        name = entity.attributes['occi.app.name']
        image = entity.attributes.get('occi.app.image')
        env_vars = entity.attributes.get('occi.app.env')
        if not image:
            raise AttributeError('Please provide a valid docker image name.')
        tmp = self.glue.create_app(name, image, extras['auth_header'], env=env_vars)
        uid = tmp['data']['id']
        entity.attributes['occi.app.scale'] = tmp['data']['scalable']
        entity.attributes['occi.core.id'] = uid
        entity.identifier = '/app/' + uid

    def retrieve(self, entity, extras):
        uid = entity.attributes['occi.core.id']
        tmp, _ = self.glue.retrieve_app(uid, extras['auth_header'])
        entity.attributes['occi.app.url'] = tmp['data']['app_url']
        entity.attributes['occi.app.name'] = tmp['data']['name']
        if tmp['data']['state']:
            entity.attributes['occi.app.state'] = 'active'
        else:
            entity.attributes['occi.app.state'] = 'inactive'

    def delete(self, entity, extras):
        self.glue.delete_app(entity.attributes['occi.core.id'], extras['auth_header'])

    def action(self, entity, action, attributes, extras):
        if action not in entity.actions:
            raise AttributeError('This action is currently not applicable.')
        entity.actions = []


class Registry(registry.NonePersistentRegistry):

    def __init__(self, glue):
        super(Registry, self).__init__()
        self.glue = glue

    def add_resource(self, key, resource, extras):
        # Keyed by the identifier the backend chose (/app/<name>), not PySSF's uuid.
        self.resources[resource.identifier] = resource

    def get_resources(self, extras):
        # The v3 adapter has no list_apps: a collection GET answers 400 with the
        # AttributeError's text, as the original did.
        self.glue.list_apps(extras['auth_header'])
        return super(Registry, self).get_resources(extras)


class OpenShiftWrapperApp(wsgi.Application):

    def __call__(self, environ, response):
        if 'HTTP_AUTHORIZATION' not in environ:
            response('401 Unauthorized', [])
            return ['Please provide authentication headers.']
        sec_obj = {'Authorization': environ['HTTP_AUTHORIZATION'], 'Accept': '*/*'}
        return self._call_occi(environ, response, auth_header=sec_obj)


def get_app(glue):
    app_backend = AppBackend(glue)
    app = OpenShiftWrapperApp(registry=Registry(glue))
    app.register_backend(APP, app_backend)
    app.register_backend(APP_STOP, app_backend)
    app.register_backend(APP_START, app_backend)
    app.register_backend(COMPONENT, backend.KindBackend())
    app.register_backend(COMP_LINK, backend.KindBackend())
    return app


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('port', type=int)
    parser.add_argument('--activate-ms', type=int, default=500,
                        help='an app is inactive for at least this long after its creation')
    parser.add_argument('--so-arg', dest='so_args', action='append', default=[],
                        help='an extra argument for every so_pyssf.py child (repeatable)')
    options = parser.parse_args()

    glue = LocalAdapter(options.so_args, options.activate_ms)

    def terminate(signum, frame):
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, terminate)

    server = make_server('127.0.0.1', options.port, get_app(glue), handler_class=Quiet)
    sys.stdout.write('CC listening on 127.0.0.1:%d\n' % options.port)
    sys.stdout.flush()
    try:
        server.serve_forever()
    finally:
        sys.stdout.write('CC shutting down\n')
        glue.stop_all()


if __name__ == '__main__':
    main()
