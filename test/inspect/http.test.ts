// HTTP/1.x request and status lines.
import { describe, expect, it } from 'vitest';
import { inspectHttp, looksLikeHttpRequest, looksLikeHttpResponse, parseHttpRequestLine, parseHttpStatusLine } from '../../src/inspect/http.js';
import { ascii, cat, flow } from './tls-build.js';

describe('request line', () => {
  it('reads method, target and version', () => {
    expect(parseHttpRequestLine(ascii('GET /api/?type=op HTTP/1.1\r\nHost: fw\r\n\r\n'))).toEqual({ method: 'GET', target: '/api/?type=op', version: '1.1' });
    expect(parseHttpRequestLine(ascii('CONNECT fw.example:443 HTTP/1.0\n'))).toEqual({ method: 'CONNECT', target: 'fw.example:443', version: '1.0' });
    expect(parseHttpRequestLine(ascii('OPTIONS * HTTP/1.1'))).toEqual({ method: 'OPTIONS', target: '*', version: '1.1' }); // the bytes end there
    expect(parseHttpRequestLine(ascii('PROPFIND /dav HTTP/1.1\r\n'))?.method).toBe('PROPFIND');
  });

  it('escapes raw high bytes in the target and caps what it shows', () => {
    expect(parseHttpRequestLine(cat(ascii('GET /caf'), Uint8Array.of(0xc3, 0xa9), ascii(' HTTP/1.1\r\n')))?.target).toBe('/caf\\xc3\\xa9');
    const long = '/' + 'a'.repeat(5000);
    const r = parseHttpRequestLine(ascii(`GET ${long} HTTP/1.1\r\n`));
    expect(r?.target).toHaveLength(2048 + 3);
    expect(r?.target.endsWith('...')).toBe(true);
  });

  it('rejects what is not a request line', () => {
    for (const s of [
      'get / HTTP/1.1\r\n', // methods are case-sensitive
      'FETCH / HTTP/1.1\r\n', // not in the list
      'GET  / HTTP/1.1\r\n', // empty target
      'GET / HTTP/2.0\r\n',
      'GET / HTTP/1.x\r\n',
      'GET / HTTP/1.1x\r\n',
      'GET /\x01 HTTP/1.1\r\n',
      'GET / HTTP/1.',
      'GET /',
      `GET /${'a'.repeat(8192)} HTTP/1.1\r\n`, // target longer than the bound
      'GET\r\n',
      '',
    ]) {
      expect(parseHttpRequestLine(ascii(s)), JSON.stringify(s.slice(0, 30))).toBeNull();
    }
    expect(looksLikeHttpRequest(ascii(`GET /${'a'.repeat(8190)} HTTP/1.1\r\n`))).toBe(true);
  });
});

describe('status line', () => {
  it('reads version, status and reason', () => {
    expect(parseHttpStatusLine(ascii('HTTP/1.1 200 OK\r\n'))).toEqual({ version: '1.1', status: 200, reason: 'OK' });
    expect(parseHttpStatusLine(ascii('HTTP/1.0 404 Not Found\n'))).toEqual({ version: '1.0', status: 404, reason: 'Not Found' });
    expect(parseHttpStatusLine(ascii('HTTP/1.1 204\r\n'))).toEqual({ version: '1.1', status: 204, reason: '' });
    expect(parseHttpStatusLine(ascii('HTTP/1.1 500'))).toEqual({ version: '1.1', status: 500, reason: '' });
    expect(parseHttpStatusLine(ascii('HTTP/1.1 302 \x07Moved\r\n'))?.reason).toBe('\\x07Moved');
  });

  it('rejects what is not a status line', () => {
    for (const s of ['HTTP/1.1 99 x\r\n', 'HTTP/1.1 600 x\r\n', 'HTTP/1.1 2000\r\n', 'HTTP/1.1  200 OK', 'HTTP/2 200\r\n', 'HTTP/1.1 2x0 OK', 'HTTP/1.1 20', 'http/1.1 200 OK']) {
      expect(looksLikeHttpResponse(ascii(s)), s).toBe(false);
    }
  });
});

describe('inspectHttp', () => {
  it('reads the first line of each direction', () => {
    const p = flow([['c', ascii('POST /api/ HTTP/1.1\r\n\r\n')], ['s', ascii('HTTP/1.1 403 Forbidden\r\n\r\n')]]);
    expect(inspectHttp(p)).toEqual({ request: { method: 'POST', target: '/api/', version: '1.1' }, response: { version: '1.1', status: 403, reason: 'Forbidden' } });
    expect(inspectHttp(flow([['c', ascii('\x16\x03\x01')]]))).toEqual({ request: null, response: null });
  });
});
