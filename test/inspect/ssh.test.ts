// SSH identification strings (RFC 4253 §4.2).
import { describe, expect, it } from 'vitest';
import { looksLikeSsh, parseSshIdentification, sshBanners } from '../../src/inspect/ssh.js';
import { ascii, cat, flow } from './tls-build.js';

const OPENSSH = 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3';

describe('sshBanners', () => {
  it('reads both identification lines without CR LF', () => {
    const p = flow([['s', ascii(`${OPENSSH}\r\n`)], ['c', ascii('SSH-2.0-PuTTY_Release_0.81\r\n\x00\x00\x05\xdc')]]);
    expect(sshBanners(p)).toEqual({ clientBanner: 'SSH-2.0-PuTTY_Release_0.81', serverBanner: OPENSSH });
  });

  it('skips lines the server sends before its identification, not the client\'s', () => {
    const pre = 'Welcome to fw1\r\nUnauthorized access prohibited\r\n';
    const p = flow([['s', ascii(`${pre}${OPENSSH}\r\n`)], ['c', ascii(`hello\r\nSSH-2.0-x\r\n`)]]);
    expect(sshBanners(p)).toEqual({ clientBanner: null, serverBanner: OPENSSH });
    expect(parseSshIdentification(ascii(`${pre}${OPENSSH}\r\n`), true)?.linesBefore).toBe(2);
    const tooMany = 'x\r\n'.repeat(33);
    expect(parseSshIdentification(ascii(`${tooMany}${OPENSSH}\r\n`), true)).toBeNull();
    expect(parseSshIdentification(ascii(`${'x\r\n'.repeat(32)}${OPENSSH}\r\n`), true)).not.toBeNull();
  });

  it('splits protoversion, softwareversion and comments', () => {
    expect(parseSshIdentification(ascii(`${OPENSSH}\r\n`), false)).toEqual({
      banner: OPENSSH,
      protoVersion: '2.0',
      softwareVersion: 'OpenSSH_9.2p1',
      comments: 'Debian-2+deb12u3',
      linesBefore: 0,
    });
    expect(parseSshIdentification(ascii('SSH-1.99-Cisco-1.25\n'), false)).toMatchObject({ protoVersion: '1.99', softwareVersion: 'Cisco-1.25', comments: null });
  });

  it('escapes bytes that are not printable ASCII', () => {
    const line = cat(ascii('SSH-2.0-x y\x1b[31m\\'), Uint8Array.of(0xff), ascii('\r\n'));
    expect(parseSshIdentification(line, false)?.banner).toBe('SSH-2.0-x y\\x1b[31m\\x5c\\xff');
  });

  it('needs the line end within 255 bytes and a software version', () => {
    const long = `SSH-2.0-${'a'.repeat(245)}`; // 253 + CR LF = 255: allowed
    expect(parseSshIdentification(ascii(`${long}\r\n`), false)?.banner).toBe(long);
    expect(parseSshIdentification(ascii(`${long}a\r\n`), false)).toBeNull();
    expect(parseSshIdentification(ascii('SSH-2.0-OpenSSH'), false)).toBeNull(); // no line end yet
    expect(parseSshIdentification(ascii('SSH-2.0-\r\n'), false)).toBeNull();
    expect(parseSshIdentification(ascii('SSH--x\r\n'), false)).toBeNull();
    expect(parseSshIdentification(ascii('SSH-2.0\r\n'), false)).toBeNull();
    expect(parseSshIdentification(ascii('SSH-2 0-x\r\n'), false)).toBeNull();
  });
});

describe('looksLikeSsh', () => {
  it('wants SSH- and a version digit', () => {
    expect(looksLikeSsh(ascii('SSH-2.0-OpenSSH_9.2\r\n'))).toBe(true);
    expect(looksLikeSsh(ascii('SSH-1'))).toBe(true);
    expect(looksLikeSsh(ascii('SSH-'))).toBe(false);
    expect(looksLikeSsh(ascii('SSH-x'))).toBe(false);
    expect(looksLikeSsh(ascii('ssh-2.0-x'))).toBe(false);
    expect(looksLikeSsh(ascii('GET / HTTP/1.1'))).toBe(false);
  });
});
