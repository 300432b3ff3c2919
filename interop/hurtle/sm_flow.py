"""The Hurtle Service Manager's calls to a CC and its SO, for one service instance (Python 2.7).

Usage: python2.7 sm_flow.py CC_URL [--term sample_so] [--cc-user U --cc-password P]
           [--token T --tenant N] [--bundle IMAGE] [--design-uri URL] [--attr NAME=VALUE]...
           [--service-params FILE] [--update NAME=VALUE] [--poll-scale F] [--wait-ms N]
           [--timeout-s N]

What hurtle_sm's so_manager does (OpenShift v3 path; hurtle.md 1.5 and
1.6), with the requests library and the same headers and parsing:
  initialise  GET CC/-/ (v3 when the Category header holds occi.app.image and occi.app.env),
              POST CC/app/ (Location required), GET CC/app/<id> as text/occi and the naive
              split(', ') / split('=')[1][1:-1] reading of occi.app.url
  activate    poll the app as JSON until occi.app.state is active, GET http://<url> with the
              CC's Basic credentials too (200 required), PUT /orchestrator/default
  deploy      POST ?action=deploy, poll the SO as JSON until *_COMPLETE
  provision   poll again (CREATE_FAILED raises), POST ?action=provision
  retrieve    GET the SO as text/occi: X-OCCI-Attribute is required, split on ', ' and '='
  update      POST the SO with the service params and NAME=VALUE unquoted, poll until complete
  destroy     DELETE the SO, then DELETE CC/app/<id>
Every call goes through the same retry rule (ConnectionError or 503: wait, try again) and
raise_for_status, so any 4xx or 5xx stops the flow where the original's task would have died.
The original's loops never end; here each waits at most --timeout-s. Polls sleep the
original's 3/7/13/3 s times --poll-scale.

After the phases the flow checks what an end user relies on (the instance attributes merged
from the SO, the update echoed, the app and its SO gone after the destroy) and exits 1 with
the step and the reason at the first failure, 0 when the whole lifecycle passed.
"""
import argparse
import json
import random
import sys
import time
import traceback
from urlparse import urlparse

import requests

HTTP = 'http://'
SERVICE_SCHEME = 'http://schemas.mobile-cloud-networking.eu/occi/service#'


class FlowError(Exception):
    pass


class SM(object):

    def __init__(self, options):
        self.options = options
        self.nburl = options.cc_url
        if self.nburl[-1] == '/':
            self.nburl = self.nburl[0:-1]
        self.attributes = {}     # the service instance's attributes, as the SM keeps them
        self.extras = {}
        self.last = None         # the last response, for the report
        self.step = None
        self.params = load_service_params(options.service_params)
        # What the SM stored from the create request (pyssf strips the quotes, so a string
        # comes back as a "number" and is sent unquoted).
        self.params['client_params'] = [{'name': k, 'value': v, 'type': 'number'}
                                        for k, v in options.attrs]
        for k, v in options.attrs:
            self.attributes[k] = v

    # ---- sm.retry_http --------------------------------------------------------------------
    def request(self, verb, url, headers, authenticate=False, params=None):
        auth = (self.options.cc_user, self.options.cc_password) if authenticate else None
        for attempt in range(1, self.options.max_attempts + 1):
            log('%s %s %s%s' % (verb, url, headers,
                                ' params=%s' % params if params else '')
                + (' (Basic auth)' if authenticate else ''))
            try:
                r = requests.request(verb, url, headers=headers, auth=auth, params=params or {})
                self.last = r
                log('  -> %d %s' % (r.status_code, dict(r.headers)))
                r.raise_for_status()
                return r
            except requests.HTTPError as err:
                if err.response.status_code != 503 or attempt == self.options.max_attempts:
                    raise
            except requests.ConnectionError:
                if attempt == self.options.max_attempts:
                    raise
            time.sleep(self.options.wait_ms / 1000.0)

    def service_parameters(self, state):
        params = list(self.params.get(state, []))
        params.extend(self.params['client_params'])
        header = ''
        for param in params:
            if param['type'] == 'string':
                value = '"' + param['value'] + '"'
            else:
                value = str(param['value'])
            header = header + param['name'] + '=' + value + ', '
        return header[0:-2]

    def sleep(self, seconds):
        time.sleep(seconds * self.options.poll_scale)

    def until(self, what, check, seconds):
        deadline = time.time() + self.options.timeout_s
        while not check():
            if time.time() > deadline:
                raise FlowError('%s: still not done after %d s' % (what, self.options.timeout_s))
            self.sleep(seconds)

    # ---- InitSO ---------------------------------------------------------------------------
    def detect_ops_version(self):
        heads = {'Content-Type': 'text/occi', 'Accept': 'text/occi'}
        r = self.request('GET', self.nburl + '/-/', heads, authenticate=True)
        if r.headers['category'].find('occi.app.image') > -1 and \
                r.headers['category'].find('occi.app.env') > -1:
            return 'v3'
        return 'v2'

    def init_so(self):
        self.attributes['mcn.service.state'] = 'initialise'
        if self.detect_ops_version() != 'v3':
            # The original would go on with the v2 (git push) flow.
            raise FlowError('the CC query interface does not list occi.app.image and '
                            'occi.app.env: the SM would take the OpenShift v2 path')
        app_name = 'so' + self.options.term[0:4] + \
                   ''.join(random.choice('0123456789abcdef') for _ in range(16))
        heads = {'Content-Type': 'text/occi',
                 'category': 'app; scheme="http://schemas.ogf.org/occi/platform#"',
                 'X-OCCI-Attribute': str('occi.app.name="' + app_name + '", ' +
                                         'occi.app.image="' + self.options.bundle + '", ' +
                                         'occi.app.env="DESIGN_URI=' + self.options.design_uri +
                                         '"')}
        r = self.request('POST', self.nburl + '/app/', heads, authenticate=True)
        loc = r.headers.get('Location', '')
        if loc == '':
            raise AttributeError('No OCCI Location attribute found in request')
        self.attributes['occi.so.url'] = loc
        app_uri_path = urlparse(loc).path
        self.identifier = app_uri_path.replace('/app/', '/' + self.options.term + '/')
        self.attributes['occi.core.id'] = app_uri_path.replace('/app/', '')
        self.app_uri_path = app_uri_path
        self.host = self.git_uri(app_uri_path)
        log('instance %s, SO container at %s' % (self.identifier, self.host))

    def git_uri(self, app_uri_path):
        r = self.request('GET', self.nburl + app_uri_path, {'Accept': 'text/occi'},
                         authenticate=True)
        attrs = r.headers.get('X-OCCI-Attribute', '')
        if attrs == '':
            raise AttributeError('No occi attributes found in request')
        repo_uri = ''
        for attr in attrs.split(', '):
            if attr.find('occi.app.repo') != -1:
                repo_uri = attr.split('=')[1][1:-1]
                break
            elif attr.find('occi.app.url') != -1:
                repo_uri = attr.split('=')[1][1:-1]
                break
        if repo_uri == '':
            raise AttributeError('No occi.app.repo or occi.app.url attribute found in request')
        return repo_uri

    # ---- ActivateSO -----------------------------------------------------------------------
    def auth_heads(self, accept=None):
        heads = {'Content-type': 'text/occi',
                 'X-Auth-Token': self.options.token,
                 'X-Tenant-Name': self.options.tenant}
        if accept:
            heads['Accept'] = accept
        return heads

    def app_is_complete(self):
        url = self.attributes['occi.so.url']
        r = self.request('GET', url, self.auth_heads('application/occi+json'), authenticate=True)
        attrs = json.loads(r.content)
        if len(attrs['attributes']) > 0:
            attr_hash = attrs['attributes']
            app_state = attr_hash.get('occi.app.state', '')
            if app_state == 'active':
                if 'occi.app.url' not in attr_hash:
                    return False
                tmp_url = 'http://' + attr_hash['occi.app.url']
                # The CC's Basic credentials go to the SO too (the original's leak).
                r = self.request('GET', tmp_url, self.auth_heads('application/occi+json'),
                                 authenticate=True)
                if r.status_code == 200:
                    return True
                # The original concatenates an int to a str here: TypeError.
                raise TypeError('App is not ready. app url returned: %d' % r.status_code)
            return False

    def activate_so(self):
        self.until('the CC app becoming active', self.app_is_complete, 3)
        heads = {'Category': 'orchestrator; scheme="' + SERVICE_SCHEME + '"',
                 'Content-Type': 'text/occi',
                 'X-Auth-Token': self.options.token,
                 'X-Tenant-Name': self.options.tenant}
        occi_attrs = self.service_parameters('activate')
        if len(occi_attrs) > 0:
            heads['X-OCCI-Attribute'] = occi_attrs
        self.request('PUT', HTTP + self.host + '/orchestrator/default', heads)
        self.attributes['mcn.service.state'] = 'activate'

    # ---- DeploySO, ProvisionSO ------------------------------------------------------------
    def stack_complete(self, fail_on_create_failed):
        url = HTTP + self.host + '/orchestrator/default'
        r = self.request('GET', url, self.auth_heads('application/occi+json'))
        attrs = json.loads(r.content)
        if len(attrs['attributes']) > 0:
            stack_state = attrs['attributes'].get('occi.mcn.stack.state', '')
            if stack_state == 'CREATE_COMPLETE' or stack_state == 'UPDATE_COMPLETE':
                return True
            if fail_on_create_failed and stack_state == 'CREATE_FAILED':
                raise RuntimeError('Heat stack creation failed.')
            return False

    def action(self, term):
        heads = {'Category': term + '; scheme="' + SERVICE_SCHEME + '"',
                 'Content-Type': 'text/occi',
                 'X-Auth-Token': self.options.token,
                 'X-Tenant-Name': self.options.tenant}
        occi_attrs = self.service_parameters(term)
        if len(occi_attrs) > 0:
            heads['X-OCCI-Attribute'] = occi_attrs
        self.request('POST', HTTP + self.host + '/orchestrator/default', heads,
                     params={'action': term})

    def deploy_so(self):
        self.action('deploy')
        self.until('the stack after deploy', lambda: self.stack_complete(False), 7)
        self.attributes['mcn.service.state'] = 'deploy'

    def provision_so(self):
        self.until('the stack before provision', lambda: self.stack_complete(True), 13)
        self.action('provision')
        self.attributes['mcn.service.state'] = 'provision'

    # ---- RetrieveSO -----------------------------------------------------------------------
    def retrieve_so(self):
        if self.attributes['mcn.service.state'] not in ['activate', 'deploy', 'provision',
                                                        'update']:
            return
        heads = {'Content-Type': 'text/occi', 'Accept': 'text/occi',
                 'X-Auth-Token': self.options.token, 'X-Tenant-Name': self.options.tenant}
        r = self.request('GET', HTTP + self.host + '/orchestrator/default', heads)
        attrs = r.headers['x-occi-attribute'].split(', ')
        for attr in attrs:
            kv = attr.split('=')
            if kv[0] != 'occi.core.id':
                if kv[1].startswith('"') and kv[1].endswith('"'):
                    kv[1] = kv[1][1:-1]
                self.attributes[kv[0]] = kv[1]
        self.attributes.pop('mcn.so.svcinsts', None)

    # ---- UpdateSO -------------------------------------------------------------------------
    def update_so(self, new_attributes):
        heads = {'Content-Type': 'text/occi',
                 'X-Auth-Token': self.options.token,
                 'X-Tenant-Name': self.options.tenant}
        occi_attrs = self.service_parameters('update')
        if len(occi_attrs) > 0:
            heads['X-OCCI-Attribute'] = occi_attrs
        if len(new_attributes) > 0:
            for k, v in new_attributes:
                occi_attrs = occi_attrs + ', ' + k + '=' + v
                self.attributes[k] = v
            heads['X-OCCI-Attribute'] = occi_attrs
        self.request('POST', HTTP + self.host + '/orchestrator/default', heads)
        self.attributes['mcn.service.state'] = 'update'
        # The original polls in a thread of its own; its result reaches nobody.
        self.until('the stack after the update', lambda: self.stack_complete(False), 3)

    # ---- DestroySO ------------------------------------------------------------------------
    def destroy_so(self):
        heads = {'X-Auth-Token': self.options.token, 'X-Tenant-Name': self.options.tenant}
        occi_attrs = self.service_parameters('destroy')
        if len(occi_attrs) > 0:
            heads['X-OCCI-Attribute'] = occi_attrs
        self.request('DELETE', HTTP + self.host + '/orchestrator/default', heads)
        url = self.nburl + self.identifier.replace('/' + self.options.term + '/', '/app/')
        heads = {'Content-Type': 'text/occi',
                 'X-Auth-Token': self.options.token, 'X-Tenant-Name': self.options.tenant}
        self.request('DELETE', url, heads, authenticate=True)


def load_service_params(path):
    if not path:
        return {}
    with open(path) as handle:
        return json.load(handle)


def log(text):
    sys.stderr.write('sm_flow: %s\n' % text)


def pair(text):
    if '=' not in text:
        raise argparse.ArgumentTypeError('expected NAME=VALUE: %r' % text)
    return tuple(text.split('=', 1))


def check(condition, what):
    if not condition:
        raise FlowError(what)


def run(sm, options):
    steps = []

    def step(name, function):
        steps.append(name)
        sm.step = name
        log('== %s' % name)
        function()

    step('initialise: CC query interface, POST /app/, GET /app/<id> (occi.app.url)',
         sm.init_so)
    step('activate: poll the app until active, GET the SO root, PUT /orchestrator/default',
         sm.activate_so)
    step('deploy: POST ?action=deploy, poll until CREATE_COMPLETE', sm.deploy_so)
    step('provision: poll, POST ?action=provision', sm.provision_so)
    step('retrieve: GET the SO as text/occi, merge X-OCCI-Attribute', sm.retrieve_so)

    def after_provision():
        check(sm.attributes.get('occi.mcn.stack.state') in
              ('CREATE_COMPLETE', 'UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE'),
              'occi.mcn.stack.state after provision: %r' % sm.attributes.get(
                  'occi.mcn.stack.state'))
        check(sm.attributes.get('occi.mcn.stack.id') not in (None, '', 'N/A'),
              'occi.mcn.stack.id after provision: %r' % sm.attributes.get('occi.mcn.stack.id'))
    step('check: the instance shows the stack state and id', after_provision)
    step('update: POST the SO with %s' % options.update,
         lambda: sm.update_so(options.update))
    step('retrieve after the update', sm.retrieve_so)

    def after_update():
        for k, v in options.update:
            check(sm.attributes.get(k) == v, 'after the update %s is %r, not %r'
                  % (k, sm.attributes.get(k), v))
        check(sm.attributes.get('occi.mcn.stack.state') == 'UPDATE_COMPLETE',
              'occi.mcn.stack.state after the update: %r'
              % sm.attributes.get('occi.mcn.stack.state'))
    step('check: the update reached the SO', after_update)
    step('destroy: DELETE the SO, then DELETE /app/<id>', sm.destroy_so)

    def after_destroy():
        deadline = time.time() + 10
        while True:
            try:
                requests.get(HTTP + sm.host + '/', headers=sm.auth_heads(), timeout=2)
            except requests.ConnectionError:
                break
            if time.time() > deadline:
                raise FlowError('the SO at %s still answers after its app was deleted'
                                % sm.host)
            time.sleep(0.1)
        r = requests.get(sm.nburl + sm.app_uri_path, auth=(options.cc_user, options.cc_password))
        check(r.status_code == 404, 'GET %s after the delete: %d, not 404'
              % (sm.app_uri_path, r.status_code))
    step('check: the app and its SO are gone', after_destroy)
    return steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('cc_url')
    parser.add_argument('--term', default='sample_so')
    parser.add_argument('--cc-user', default='sm')
    parser.add_argument('--cc-password', default='secret')
    parser.add_argument('--token', default='t')
    parser.add_argument('--tenant', default='demo')
    parser.add_argument('--bundle', default='occi-hurtle/so')
    parser.add_argument('--design-uri', default='http://127.0.0.1:5000/v2.0')
    parser.add_argument('--attr', dest='attrs', type=pair, action='append', default=[],
                        help='a client attribute of the create request, as the SM stored it')
    parser.add_argument('--service-params', help='per-phase service parameters (JSON)')
    parser.add_argument('--update', type=pair, action='append', default=None,
                        help='an attribute of the update request (default mcn.endpoint.p4=second)')
    parser.add_argument('--poll-scale', type=float, default=0.05)
    parser.add_argument('--wait-ms', type=int, default=2000)
    parser.add_argument('--max-attempts', type=int, default=5)
    parser.add_argument('--timeout-s', type=int, default=60)
    options = parser.parse_args()
    if options.update is None:
        options.update = [('mcn.endpoint.p4', 'second')]

    sm = SM(options)
    started = time.time()
    try:
        run(sm, options)
    except Exception as err:  # pylint: disable=broad-except
        traceback.print_exc()
        if sm.last is not None:
            sys.stderr.write('sm_flow: last response: %d %s\n%s\n' % (
                sm.last.status_code, dict(sm.last.headers), sm.last.content[:2000]))
        answer = ''
        if isinstance(err, requests.HTTPError) and sm.last is not None:
            lines = [l for l in sm.last.content.splitlines() if l.strip()]
            answer = ' (%s)' % ' / '.join(l.strip() for l in lines[:3])[:300]
        sys.stderr.write('sm_flow: FAILED at step "%s": %s: %s%s\n'
                         % (sm.step, type(err).__name__, err, answer))
        return 1
    sys.stderr.write('sm_flow: instance attributes: %s\n' % json.dumps(sm.attributes,
                                                                      sort_keys=True))
    print('sm_flow: the whole lifecycle passed in %.1f s' % (time.time() - started))
    return 0


if __name__ == '__main__':
    sys.exit(main())
