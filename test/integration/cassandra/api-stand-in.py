"""A stand-in for the one API call the preStop hook makes: GET of a StatefulSet's scale subresource
(/apis/apps/v1/namespaces/<ns>/statefulsets/<name>/scale), over TLS on 127.0.0.1, as the API server
answers it. spec.replicas of StatefulSet <name> is read from the file <state-dir>/<name> at every
request (run.sh writes it, as `kubectl scale` would change it); no file: 404 (the set is gone). The
request must carry the token of <state-dir>/../sa/token, else 401. Every request is logged to
<state-dir>/requests.log.
    usage: python3 api-stand-in.py <state-dir> <cert.pem> <key.pem> <port-file>
"""
import json
import os
import re
import ssl
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

state, cert, key, port_file = sys.argv[1:5]
token = open(os.path.join(state, '..', 'sa', 'token')).read().strip()
PATH = re.compile(r'^/apis/apps/v1/namespaces/([a-z0-9-]+)/statefulsets/([a-z0-9-]+)/scale$')


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        match = PATH.match(self.path)
        authorized = self.headers.get('Authorization') == 'Bearer ' + token
        with open(os.path.join(state, 'requests.log'), 'a') as log:
            log.write('%s authorized=%s\n' % (self.path, authorized))
        if not authorized:
            return self.reply(401, {'kind': 'Status', 'code': 401, 'reason': 'Unauthorized'})
        replicas_file = os.path.join(state, match.group(2)) if match else ''
        if not match or not os.path.exists(replicas_file):
            return self.reply(404, {'kind': 'Status', 'code': 404, 'reason': 'NotFound'})
        replicas = int(open(replicas_file).read().strip())
        self.reply(200, {
            'kind': 'Scale', 'apiVersion': 'autoscaling/v1',
            'metadata': {'name': match.group(2), 'namespace': match.group(1)},
            'spec': {'replicas': replicas} if replicas else {},
            'status': {'replicas': replicas, 'selector': 'app.kubernetes.io/instance=ring'},
        })

    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
with open(port_file + '.tmp', 'w') as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + '.tmp', port_file)
server.serve_forever()
