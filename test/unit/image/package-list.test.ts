import { describe, expect, it } from 'vitest';
import { packagesFor, parsePackageList } from '../../../cli/image/package-list.js';

describe('parsePackageList', () => {
  const list = parsePackageList('# tools\niproute2\n\ntcpdump   # capture\nnodejs [offline]\niproute2\n');

  it('reads names, comments and the [offline] marker', () => {
    expect(list).toEqual([
      { name: 'iproute2', offlineOnly: false },
      { name: 'tcpdump', offlineOnly: false },
      { name: 'nodejs', offlineOnly: true },
      { name: 'iproute2', offlineOnly: false },
    ]);
  });

  it('gives each recipe its sorted, unique packages', () => {
    expect(packagesFor(list, 'online')).toEqual(['iproute2', 'tcpdump']);
    expect(packagesFor(list, 'offline')).toEqual(['iproute2', 'nodejs', 'tcpdump']);
  });

  it('names the line of anything else', () => {
    expect(() => parsePackageList('iproute2\nbad name here\n', 'p.txt')).toThrow(/p\.txt:2: found "bad name here"/);
  });
});
