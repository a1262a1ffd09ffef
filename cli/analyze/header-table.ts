import type { Ipv6Layer } from '../capture/packet-decode.js';

/** The addresses of each IPv6 header of a packet, outermost first. */
export type HeaderList = readonly { src: string; dst: string }[];

/**
 * Interned header lists: the same stack of addresses (a tunnel's outer and inner
 * header) is stored once and sightings refer to it by number.
 */
export class HeaderTable {
  private readonly lists: HeaderList[] = [];
  private readonly ids = new Map<string, number>();

  /** The id of the address stack of `layers`. */
  intern(layers: readonly Ipv6Layer[]): number {
    let key = '';
    for (const l of layers) key += `${l.src}>${l.dst}|`;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.lists.length;
      this.lists.push(Object.freeze(layers.map((l) => Object.freeze({ src: l.src, dst: l.dst }))));
      this.ids.set(key, id);
    }
    return id;
  }

  /** The address stack with id `id`. */
  get(id: number): HeaderList {
    return this.lists[id] ?? [];
  }

  /** The innermost source address of stack `id`. */
  innerSource(id: number): string {
    const l = this.get(id);
    return l[l.length - 1]?.src ?? '';
  }
}
