/** Pure parts of the VM runner; these run anywhere (host or guest). */
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { findProgram } from '../../cli/util/exec.js';
import { writeCpio } from './cpio.js';
import { GuestConsole } from './guest-console.js';
import { END_MARKER, START_MARKER } from './init-script.js';
import { parseModuleIndex, planModules } from './kernel-modules.js';
import { parseRunArgs } from './run-args.js';
import { shellQuoteArgv } from './shell-quote.js';

describe('planModules', () => {
  const index = parseModuleIndex(
    [
      'kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/fscache/fscache.ko kernel/fs/netfs/netfs.ko',
      'kernel/net/9p/9pnet.ko:',
      'kernel/fs/fscache/fscache.ko: kernel/fs/netfs/netfs.ko',
      'kernel/fs/netfs/netfs.ko:',
      'kernel/net/netfilter/nf_tables.ko.xz: kernel/net/netfilter/nfnetlink.ko.xz kernel/lib/libcrc32c.ko.xz',
      'kernel/net/netfilter/nfnetlink.ko.xz:',
      'kernel/lib/libcrc32c.ko.xz:',
      'kernel/crypto/crc32c_generic.ko.xz:',
      'kernel/arch/x86/crypto/crc32c-intel.ko.xz:',
    ].join('\n'),
    'kernel/net/ipv6/ipv6.ko\n',
    'softdep libcrc32c pre: crc32c\n',
    'alias crc32c crc32c_intel\nalias crc32c crc32c_generic\n',
  );

  it('puts every module after its dependencies, once', () => {
    const plan = planModules(index, ['9p', 'netfs']);
    expect(plan.order.map((m) => m.name)).toEqual(['9pnet', 'netfs', 'fscache', '9p']);
  });

  it('loads soft pre-dependencies through their alias, preferring the generic provider', () => {
    const plan = planModules(index, ['nf_tables']);
    expect(plan.order.map((m) => m.name)).toEqual(['nfnetlink', 'crc32c_generic', 'libcrc32c', 'nf_tables']);
    expect(plan.order[0]?.path).toBe('kernel/net/netfilter/nfnetlink.ko.xz');
  });

  it('reports built-in and missing modules instead of loading them', () => {
    const plan = planModules(index, ['ipv6', 'sch_netem']);
    expect(plan).toEqual({ order: [], builtin: ['ipv6'], missing: ['sch_netem'] });
  });
});

describe('writeCpio', () => {
  it('writes newc members padded to 4 bytes and a trailer', () => {
    const archive = writeCpio([
      { kind: 'dir', path: 'bin' },
      { kind: 'file', path: 'init', data: '#!/bin/sh\n', mode: 0o755 },
      { kind: 'chardev', path: 'dev/console', major: 5, minor: 1 },
    ]);
    const text = archive.toString('latin1');
    expect(text.startsWith('070701')).toBe(true);
    expect(archive.length % 4).toBe(0);
    expect(text).toContain('init\0');
    expect(text).toContain('#!/bin/sh\n');
    expect(text).toContain('TRAILER!!!\0');
    const init = text.indexOf('init\0') - 110;
    expect(parseInt(text.slice(init + 14, init + 22), 16)).toBe(0o100755);
    expect(parseInt(text.slice(init + 54, init + 62), 16)).toBe(10);
  });

  it.skipIf(!findProgram('cpio'))('is what GNU cpio reads back', async () => {
    const archive = writeCpio([
      { kind: 'dir', path: 'a' },
      { kind: 'file', path: 'a/b c', data: 'x' },
    ]);
    const r = await execa('cpio', ['-it', '--quiet'], { input: archive });
    expect(r.stdout.split('\n')).toEqual(['a', 'a/b c']);
  });
});

describe('GuestConsole', () => {
  const nonce = 'abc123';
  const feed = (chunks: string[]) => {
    let out = '';
    const c = new GuestConsole(nonce, false, (t) => void (out += t));
    for (const chunk of chunks) c.write(Buffer.from(chunk));
    c.end();
    return { out, c };
  };

  it('hides boot noise, streams the command, and reads the exit code from the end marker', () => {
    const { out, c } = feed([
      '[    0.1] Linux version\r\nSeaBIOS\r\n',
      `${START_MARKER} ${nonce} 3.25\r\nhello\r`,
      '\nwor',
      `ld\r\n${END_MARKER} wrong 9 1\r\n${END_MARKER} ${nonce} 7 9.5\r\n[ 9.6] reboot: Power down\r\n`,
    ]);
    expect(out).toBe(`hello\nworld\n${END_MARKER} wrong 9 1\n`);
    expect(c.state.started?.uptimeS).toBe(3.25);
    expect(c.state.ended?.exitCode).toBe(7);
    expect(c.bootLog).toEqual(['[    0.1] Linux version', 'SeaBIOS']);
  });

  it('holds back a partial line that could be the end marker', () => {
    const { out, c } = feed([`${START_MARKER} ${nonce} 1\n`, 'DMMLAB-VM-E', `ND ${nonce} 0 2\n`]);
    expect(out).toBe('');
    expect(c.state.ended?.exitCode).toBe(0);
  });
});

describe('shellQuoteArgv', () => {
  it('round-trips any argument through /bin/sh', async () => {
    const args = ['plain', 'two words', "it's", '"dq" $HOME `x` \\', 'new\nline', '', '*'];
    const r = await execa('/bin/sh', ['-c', `for a in ${shellQuoteArgv(args)}; do printf '%s\\0' "$a"; done`]);
    expect(r.stdout.split('\0').slice(0, -1)).toEqual(args);
  });
});

describe('parseRunArgs', () => {
  it('takes flags up to -- and the rest as the command', () => {
    const a = parseRunArgs(['--mem=512', '--timeout', '60', '-v', '--env', 'A=1', '--env', 'HOME', '--', 'sh', '-c', 'exit 7'], { HOME: '/h' });
    expect(a).toMatchObject({ memMiB: 512, timeoutS: 60, verbose: true, env: { A: '1', HOME: '/h' }, command: ['sh', '-c', 'exit 7'] });
  });

  it('rejects a missing command and bad numbers', () => {
    expect(() => parseRunArgs(['--mem', '1024'])).toThrow(/no command/);
    expect(() => parseRunArgs(['--mem', 'lots', '--', 'true'])).toThrow(/--mem needs a positive integer/);
  });
});
