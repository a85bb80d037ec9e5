// congo_peer.mjs: loopback MongoDB wire peer with a real query engine, for
// curate's tests: CongoDB from @push.rocks/smartmongo 2.2.0 (wire protocol,
// find/getMore/insert/update/delete/aggregate handlers, indexes, mingo as
// the query engine), installed by tests/peers/congo_install.sh.
//
//   node congo_peer.mjs --portfile FILE [--port 0]
//
// Binds 127.0.0.1 only; --port 0 (default) takes a free port, written to
// FILE once the server listens. In memory; exits 0 on SIGTERM/SIGINT.
import { writeFileSync, renameSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const portfile = opt('--portfile', null);
let port = Number(opt('--port', '0'));
if (!portfile || !Number.isInteger(port) || port < 0) {
  console.error('usage: node congo_peer.mjs --portfile FILE [--port N]');
  process.exit(2);
}

// CongoServer needs a fixed port: find a free one on loopback first.
async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

const { CongoServer } = await import(
  join(here, 'congo', 'smartmongo', 'dist_ts', 'congodb', 'index.js'));
let server;
for (let attempt = 0; ; attempt++) {
  const p = port || await freePort();
  server = new CongoServer({ port: p, host: '127.0.0.1' });
  try {
    await server.start();
    port = p;
    break;
  } catch (e) {
    if (port || attempt >= 5) { console.error(`congo peer: ${e.message}`); process.exit(1); }
  }
}
writeFileSync(portfile + '.tmp', String(port));
renameSync(portfile + '.tmp', portfile);
const stop = async () => { await server.stop(); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
