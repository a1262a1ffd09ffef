import { EXP_SUBTYPE, type MhMessage } from './index.js';
import { PURPOSE, previousMrOf, purposeOf } from './dmm-options.js';

const PURPOSE_NAMES: Record<number, string> = {
  [PURPOSE.HAA_ALLOCATION]: 'haa',
  [PURPOSE.LOCATION_UPDATE]: 'location',
  [PURPOSE.ANCHOR_BINDING]: 'anchor',
  [PURPOSE.CLIENT_UPDATE]: 'client',
  [PURPOSE.HOME_REGISTRATION]: 'home',
  [PURPOSE.HOME_SYNC]: 'sync',
};

/** Short name of a message as Wireshark users know it: PBU, PBA, HI, HAck, BRI, BRA, LRI, LRA, LMQ, LMR. */
export function messageName(m: MhMessage): string {
  if (m.type === 'EXP') return m.subtype === EXP_SUBTYPE.LM_LOCATION_QUERY ? 'LMQ' : m.subtype === EXP_SUBTYPE.LM_LOCATION_REPLY ? 'LMR' : `EXP/${m.subtype}`;
  if ((m.type === 'PBU' || m.type === 'PBA') && !m.flags.P) return m.type === 'PBU' ? 'BU' : 'BA';
  return m.type;
}

/** What matters in a message, as events, logs, the TUI and reports show it. */
export interface MessageSummary {
  /** Its name as Wireshark users know it (PBU, PBA, HI, HAck, LMQ...). */
  msg: string;
  seq: number;
  /** What a PBU/PBA is for (haa, location, anchor, client, home), from the DMM purpose option. */
  purpose?: string | number;
  status?: number;
  lifetime?: number;
  mnId?: string;
  prefixes?: string[];
  /** Alternate care-of address: the location of a redirect, query reply or relayed HI. */
  location?: string;
  handoff?: number;
  previousMr?: string;
}

/** One line with what matters in a message (event logs, the TUI, reports). */
export function summarize(m: MhMessage): MessageSummary {
  const out: MessageSummary = { msg: messageName(m), seq: m.sequence };
  const purpose = purposeOf(m);
  if (purpose !== undefined) out.purpose = PURPOSE_NAMES[purpose] ?? purpose;
  if ('status' in m) out.status = m.status;
  if ('lifetime' in m) out.lifetime = m.lifetime;
  const hnps: string[] = [];
  for (const o of m.options) {
    if (o.kind === 'mnId') out.mnId = o.id;
    else if (o.kind === 'hnp') hnps.push(o.prefix);
    else if (o.kind === 'altCoa') out.location = o.address;
    else if (o.kind === 'handoff') out.handoff = o.value;
  }
  if (hnps.length) out.prefixes = hnps;
  const prev = previousMrOf(m);
  if (prev) out.previousMr = prev;
  return out;
}
