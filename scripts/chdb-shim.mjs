// A ClickHouse HTTP-interface shim over chDB (the ClickHouse engine as a library; npm's chdb
// 3.4.0 ships ClickHouse 26.7): each request's SQL runs in one chDB session, so pantap's
// export and fleet report can be checked against a current release's SQL where no current
// server can be installed (Debian ships 18.16 only). Not a dependency (546 MB): install it
// beside, `npm install --prefix /tmp/chdb chdb`, then
// `NODE_PATH=/tmp/chdb/node_modules node scripts/chdb-shim.mjs 18200 /tmp/chdb/data` and
// export / report with clickhouse://127.0.0.1:18200/pantap (README, "Tested versions").
import http from 'node:http';
import { createRequire } from 'node:module';
// NODE_PATH is honoured by require, not by import.
const { Session } = createRequire(import.meta.url)('chdb');
const port = Number(process.argv[2] ?? 18200);
const session = new Session(process.argv[3]);
const log = process.env.SHIM_LOG === '1';
http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/ping') { res.end('Ok.\n'); return; }
    const body = Buffer.concat(chunks).toString('utf8');
    const q = url.searchParams.get('query');
    let sql = q !== null ? (body.length > 0 ? `${q}\n${body}` : q) : body;
    const db = url.searchParams.get('database');
    const fmt = url.searchParams.get('default_format') ?? 'TabSeparated';
    try {
      if (db && db !== 'default') session.query(`USE ${db}`, 'CSV');
      if (log) process.stderr.write(`SQL: ${sql.slice(0, 300).replace(/\n/g, ' ')}\n`);
      const out = session.query(sql, fmt);
      res.setHeader('X-ClickHouse-Format', fmt);
      res.setHeader('X-ClickHouse-Summary', '{"read_rows":"0","read_bytes":"0","written_rows":"0","written_bytes":"0","total_rows_to_read":"0"}');
      res.end(out ?? '');
    } catch (e) {
      if (log) process.stderr.write(`ERR: ${String(e.message).slice(0, 300)}\n`);
      res.statusCode = 500;
      res.setHeader('X-ClickHouse-Exception-Code', '1');
      res.end(`Code: 1. DB::Exception: ${e.message}`);
    }
  });
}).listen(port, '127.0.0.1', () => process.stderr.write(`shim on ${port}\n`));
