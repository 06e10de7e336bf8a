// A load balancer for the end-to-end tests of several servers: it sends each request to the
// next server in turn and passes the answer back as it arrives (progress streams included).
// Usage: node lb.mjs PORT HOST:PORT HOST:PORT...
import http from 'node:http';

const [port, ...servers] = process.argv.slice(2);
let next = 0;

http
  .createServer((request, response) => {
    const [host, serverPort] = servers[next++ % servers.length].split(':');
    const forwarded = http.request(
      { host, port: serverPort, method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode, answer.headers);
        answer.pipe(response);
      },
    );
    forwarded.on('error', () => {
      response.writeHead(502);
      response.end();
    });
    request.pipe(forwarded);
  })
  .listen(Number(port), '127.0.0.1');
