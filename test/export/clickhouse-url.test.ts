// clickhouse:// URLs of --export and report --from: the parts, the defaults, the
// environment's credentials, and messages that never show the password.
import { describe, expect, it } from 'vitest';
import { parseStoreUrl, redactRaw, scrub } from '../../src/export/clickhouse-url.js';
import { StoreError } from '../../src/errors.js';
import { checkSensor } from '../../src/export/run.js';

const EXPECTED = '(expected clickhouse://[user[:password]@]HOST[:PORT]/DATABASE)';

function error(text: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    parseStoreUrl(text, env);
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    return (err as Error).message;
  }
  throw new Error(`${text} was accepted`);
}

describe('parseStoreUrl', () => {
  it('host, port, database; the HTTP port 8123 and database pantap by default; user default', () => {
    expect(parseStoreUrl('clickhouse://ch.example.net:8124/fleet', {})).toEqual({
      httpUrl: 'http://ch.example.net:8124',
      host: 'ch.example.net',
      port: 8124,
      database: 'fleet',
      username: 'default',
      password: '',
      shown: 'clickhouse://ch.example.net:8124/fleet',
    });
    expect(parseStoreUrl('clickhouse://10.0.0.5', {})).toMatchObject({ httpUrl: 'http://10.0.0.5:8123', port: 8123, database: 'pantap', shown: 'clickhouse://10.0.0.5:8123/pantap' });
    expect(parseStoreUrl('clickhouse://10.0.0.5/', {})).toMatchObject({ database: 'pantap' });
    expect(parseStoreUrl('clickhouse://[::1]:9000/db', {})).toMatchObject({ httpUrl: 'http://[::1]:9000', host: '[::1]', shown: 'clickhouse://[::1]:9000/db' });
  });

  it('user and password from the URL (percent-decoded), the password shown as ***', () => {
    const u = parseStoreUrl('clickhouse://pantap:p%40ss%3Aw0rd@ch:8123/fleet', {});
    expect(u).toMatchObject({ username: 'pantap', password: 'p@ss:w0rd', shown: 'clickhouse://pantap:***@ch:8123/fleet' });
    expect(JSON.stringify(u.shown)).not.toContain('w0rd');
  });

  it('user and password from CLICKHOUSE_USER / CLICKHOUSE_PASSWORD when the URL has none; the URL wins', () => {
    const env = { CLICKHOUSE_USER: 'envuser', CLICKHOUSE_PASSWORD: 'envsecret' };
    expect(parseStoreUrl('clickhouse://ch/fleet', env)).toMatchObject({ username: 'envuser', password: 'envsecret', shown: 'clickhouse://ch:8123/fleet' });
    expect(parseStoreUrl('clickhouse://bob:pw@ch/fleet', env)).toMatchObject({ username: 'bob', password: 'pw' });
    expect(parseStoreUrl('clickhouse://bob@ch/fleet', env)).toMatchObject({ username: 'bob', password: 'envsecret', shown: 'clickhouse://bob:***@ch:8123/fleet' });
  });

  it('bad URLs: one line naming the URL with the password replaced', () => {
    expect(error('http://bob:hunter2@ch/fleet')).toBe(`http://bob:***@ch/fleet: not a clickhouse:// URL ${EXPECTED}`);
    expect(error('clickhouse://bob:hunter2@ch:99999/fleet')).toBe(`clickhouse://bob:***@ch:99999/fleet: not a valid URL ${EXPECTED}`);
    expect(error('clickhouse://bob:hunter2@ch/fle-et')).toBe(`clickhouse://bob:***@ch/fle-et: database name "fle-et" is not [A-Za-z_][A-Za-z0-9_]* ${EXPECTED}`);
    expect(error('clickhouse://bob:hunter2@ch/a/b')).toMatch(/^clickhouse:\/\/bob:\*\*\*@ch\/a\/b: database name "a\/b"/);
    expect(error('clickhouse://ch/db?secure=1')).toBe(`clickhouse://ch/db?secure=1: query strings and fragments are not supported ${EXPECTED}`);
    expect(error('clickhouse:///db')).toMatch(/: (no host|not a valid URL)/);
    expect(error('ch.example.net:8123')).toBe(`ch.example.net:8123: not a clickhouse:// URL ${EXPECTED}`);
    // A password with / or @ in it, not percent-encoded: still not shown.
    for (const t of ['clickhouse://bob:hun/ter2@ch/x-y', 'clickhouse://bob:hu@nter2@ch/x-y']) expect(error(t)).not.toMatch(/hun|nter2/);
    expect(error('clickhouse://bob:%ZZhunter2@ch/db')).not.toContain('hunter2');
  });

  it('redactRaw and scrub', () => {
    expect(redactRaw('clickhouse://u:p@h/db')).toBe('clickhouse://u:***@h/db');
    expect(redactRaw('clickhouse://u@h/db')).toBe('clickhouse://u@h/db');
    expect(redactRaw('clickhouse://h/db')).toBe('clickhouse://h/db');
    const u = parseStoreUrl('clickhouse://u:s%2Fcret@h/db', {});
    expect(scrub('failed for s/cret and s%2Fcret', u)).toBe('failed for *** and ***');
  });
});

describe('checkSensor', () => {
  it('takes 1 to 255 printable characters', () => {
    expect(checkSensor('fw-dc1.example.net')).toBe('fw-dc1.example.net');
    expect(checkSensor('x'.repeat(255))).toHaveLength(255);
    expect(() => checkSensor('')).toThrow('--sensor: a name of 1 to 255 printable characters is needed (got "")');
    expect(() => checkSensor('a\nb')).toThrow(StoreError);
    expect(() => checkSensor('x'.repeat(256))).toThrow(StoreError);
  });
});
