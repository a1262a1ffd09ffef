import type { Key } from 'ink';
import { describe, expect, it } from 'vitest';
import { splitKeys } from '../../../cli/tui/hooks/use-keys.js';

const none: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

const flags = (k: Key) =>
  Object.entries(k)
    .filter(([, v]) => v === true)
    .map(([n]) => n);

describe('splitKeys', () => {
  it('leaves one key alone', () => {
    expect(splitKeys('h', none)).toEqual([['h', none]]);
    const enter = { ...none, return: true };
    expect(splitKeys('', enter)).toEqual([['', enter]]);
  });

  it('cuts a chunk of typed keys into keys with the flags each has alone', () => {
    const keys = splitKeys('mR2\r\t\u007F\b\u0003x', none);
    expect(keys.map(([i, k]) => [i, flags(k)])).toEqual([
      ['m', []],
      ['R', ['shift']],
      ['2', []],
      ['', ['return']],
      ['', ['tab']],
      ['', ['delete']],
      ['', ['backspace']],
      ['c', ['ctrl']],
      ['x', []],
    ]);
  });

  it('keeps escape sequences and modified keys whole (Ink already split those)', () => {
    expect(splitKeys('\u001B[A', { ...none, upArrow: true })).toHaveLength(1);
    expect(splitKeys('ab', { ...none, meta: true })).toHaveLength(1);
  });
});
