import { describe, expect, it } from 'vitest';
import { mirrorFromSources } from '../../../cli/image/apt-mirror.js';

const deb822 = `Types: deb
URIs: http://security.example/debian-security
Suites: bookworm-security
Components: main

Types: deb deb-src
URIs: http://mirror.example/debian/
Suites: bookworm bookworm-updates
Components: main
`;

describe('mirrorFromSources', () => {
  it('finds the mirror of the suite itself in deb822 files', () => {
    expect(mirrorFromSources([{ name: 'debian.sources', text: deb822 }], 'bookworm')).toBe('http://mirror.example/debian');
  });

  it('reads one-line .list files, options and comments included', () => {
    const text = '# deb http://old.example/debian bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] http://list.example/debian bookworm main\n';
    expect(mirrorFromSources([{ name: 'sources.list', text }], 'bookworm')).toBe('http://list.example/debian');
  });

  it('skips disabled stanzas and other suites', () => {
    const disabled = 'Types: deb\nURIs: http://off.example/debian\nSuites: bookworm\nEnabled: no\n';
    expect(mirrorFromSources([{ name: 'a.sources', text: disabled }], 'bookworm')).toBeUndefined();
    expect(mirrorFromSources([{ name: 'debian.sources', text: deb822 }], 'trixie')).toBeUndefined();
  });
});
