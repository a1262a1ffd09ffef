import { flowHash } from '../../shared/flow-format.js';
import { canonical } from '../../shared/ipv6.js';
import type { FlowRecord } from '../scenario/run-log.js';

/** How a captured packet is recognised as one of the run's flows. */
export class FlowKeys {
  private readonly wire = new Map<number, { index: number; kind: FlowRecord['kind'] }>();
  private readonly echo = new Map<string, number>();

  constructor(flows: readonly FlowRecord[]) {
    flows.forEach((f, index) => {
      if (f.kind === 'icmp') this.echo.set(`${canonicalOr(f.source)}|${canonicalOr(f.destination)}`, index);
      else this.wire.set(flowHash(f.id), { index, kind: f.kind });
    });
  }

  /** The flow whose header carries `flowId`, if it is of `kind` (UDP and TCP flows: FNV-1a of the flow name). */
  byWire(flowId: number, kind: 'udp' | 'tcp'): number | undefined {
    const f = this.wire.get(flowId);
    return f && f.kind === kind ? f.index : undefined;
  }

  /** The ICMP flow whose echo requests go from `src` to `dst` (innermost header). */
  icmp(src: string, dst: string): number | undefined {
    return this.echo.get(`${src}|${dst}`);
  }
}

/** RFC 5952 text of an address, or the text itself when it is not one. */
export function canonicalOr(text: string): string {
  try {
    return canonical(text);
  } catch {
    return text;
  }
}
