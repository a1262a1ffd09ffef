/**
 * Mobility Header numbers and the decoded shapes of messages and options.
 * Every number is from the RFC named beside it and the IANA "Mobility IPv6 Parameters"
 * registry; docs/protocol.md lists them with their sections.
 */

/** Next Header value of the Mobility Header (RFC 6275 §6.1.1). */
export const IPPROTO_MH = 135;
/** "No next header": the only Payload Proto value dmmlab sends (RFC 6275 §6.1.1). */
export const PAYLOAD_PROTO_NONE = 59;
/** UDP port that carries MH messages (IANA "pmip6-cntl", the PMIPv6 UDP transport of RFC 5844; Wireshark decodes it as MIPv6). */
export const MH_UDP_PORT = 5436;

/** MH Type values (IANA Mobility Header Types). */
export const MH_TYPE = {
  /** Binding Update (RFC 6275 §6.1.7; proxy form RFC 5213 §8.1). */
  BU: 5,
  /** Binding Acknowledgement (RFC 6275 §6.1.8; proxy form RFC 5213 §8.2). */
  BA: 6,
  /** Experimental Mobility Header (RFC 5096 §3). */
  EXPERIMENTAL: 11,
  /** Handover Initiate (RFC 5568 §6.2.1.1, P/F flags RFC 5949 §6.1.1). */
  HI: 14,
  /** Handover Acknowledge (RFC 5568 §6.2.1.2, U/P/F flags RFC 5949 §6.1.2). */
  HACK: 15,
  /** Binding Revocation (RFC 5846 §6; B.R. Type tells BRI from BRA). */
  BINDING_REVOCATION: 16,
  /** Localized Routing Initiation (RFC 6705 §10.1). */
  LRI: 17,
  /** Localized Routing Acknowledgment (RFC 6705 §10.2). */
  LRA: 18,
} as const;

/** Mobility option types (IANA Mobility Options). */
export const OPTION_TYPE = {
  PAD1: 0, // RFC 6275 §6.2.2
  PADN: 1, // RFC 6275 §6.2.3
  ALT_COA: 3, // RFC 6275 §6.2.5
  MN_ID: 8, // RFC 4283 §3
  AUTH: 9, // RFC 4285 §5
  EXPERIMENTAL: 18, // RFC 5096 §4
  VENDOR: 19, // RFC 5094 §3
  HNP: 22, // RFC 5213 §8.3
  HANDOFF: 23, // RFC 5213 §8.4
  ATT: 24, // RFC 5213 §8.5
  MN_LL_ID: 25, // RFC 5213 §8.6
  LINK_LOCAL: 26, // RFC 5213 §8.7
  TIMESTAMP: 27, // RFC 5213 §8.8
} as const;

/** Mobile Node Identifier subtype: Network Access Identifier (RFC 4283 §3). */
export const MN_ID_SUBTYPE_NAI = 1;
/** Authentication option subtype used by dmmlab: MN-HA style peer key (RFC 4285 §5.1). */
export const AUTH_SUBTYPE_PEER = 1;
/** SPIs 0-255 are reserved (RFC 4285 §5); dmmlab keys use 256 and above. */
export const AUTH_MIN_SPI = 256;
/** HMAC-SHA256 output carried untruncated in the authentication option. */
export const AUTH_DATA_LENGTH = 32;
/** Vendor ID dmmlab puts in Vendor-Specific options: the documentation PEN (RFC 5612). */
export const DMMLAB_VENDOR_ID = 32473;

/** Binding Acknowledgement status codes used by dmmlab (IANA Status Codes; RFC 6275 §6.1.8, RFC 5213 §8.9). */
export const BA_STATUS = {
  ACCEPTED: 0,
  REASON_UNSPECIFIED: 128,
  ADMINISTRATIVELY_PROHIBITED: 129,
  INSUFFICIENT_RESOURCES: 130,
  HOME_REGISTRATION_NOT_SUPPORTED: 131,
  NOT_HOME_SUBNET: 132,
  NOT_HOME_AGENT_FOR_THIS_MOBILE_NODE: 133,
  SEQUENCE_OUT_OF_WINDOW: 135,
  PROXY_REG_NOT_ENABLED: 152,
  NOT_LMA_FOR_THIS_MOBILE_NODE: 153,
  MAG_NOT_AUTHORIZED_FOR_PROXY_REG: 154,
  NOT_AUTHORIZED_FOR_HOME_NETWORK_PREFIX: 155,
  TIMESTAMP_MISMATCH: 156,
  TIMESTAMP_LOWER_THAN_PREV_ACCEPTED: 157,
  MISSING_HOME_NETWORK_PREFIX_OPTION: 158,
  BCE_PBU_PREFIX_SET_DO_NOT_MATCH: 159,
  MISSING_MN_IDENTIFIER_OPTION: 160,
  MISSING_HANDOFF_INDICATOR_OPTION: 161,
  MISSING_ACCESS_TECH_TYPE_OPTION: 162,
} as const;

/** Handoff Indicator values (RFC 5213 §8.4). */
export const HANDOFF_INDICATOR = {
  NEW_INTERFACE: 1,
  BETWEEN_INTERFACES: 2,
  BETWEEN_MAGS_SAME_INTERFACE: 3,
  UNKNOWN: 4,
  NOT_CHANGED: 5,
} as const;

/** Access Technology Type values (RFC 5213 §8.5). */
export const ACCESS_TECHNOLOGY = {
  VIRTUAL: 1,
  PPP: 2,
  IEEE_802_3: 3,
  IEEE_802_11: 4,
  IEEE_802_16E: 5,
} as const;

/** Binding Revocation B.R. Type (RFC 5846 §6). */
export const BR_TYPE = { INDICATION: 1, ACKNOWLEDGEMENT: 2 } as const;

/** Revocation Trigger values of a BRI (RFC 5846 §6, IANA Revocation Trigger Values). */
export const REVOCATION_TRIGGER = {
  UNSPECIFIED: 0,
  ADMINISTRATIVE_REASON: 1,
  INTER_MAG_HANDOVER_SAME_ACCESS_TYPE: 2,
  INTER_MAG_HANDOVER_DIFFERENT_ACCESS_TYPE: 3,
  INTER_MAG_HANDOVER_UNKNOWN: 4,
  USER_INITIATED_SESSION_TERMINATION: 5,
  ACCESS_NETWORK_SESSION_TERMINATION: 6,
  POSSIBLE_OUT_OF_SYNC_BCE_STATE: 7,
  PER_PEER_POLICY: 128,
  REVOKING_MOBILITY_NODE_LOCAL_POLICY: 129,
} as const;

/** Status values of a BRA (RFC 5846 §6, IANA Binding Revocation Acknowledgement Status Codes). */
export const REVOCATION_STATUS = {
  SUCCESS: 0,
  PARTIAL_SUCCESS: 1,
  BINDING_DOES_NOT_EXIST: 128,
  IPV4_HOME_ADDRESS_OPTION_REQUIRED: 129,
  GLOBAL_REVOCATION_NOT_AUTHORIZED: 130,
  REVOKED_MOBILE_NODES_IDENTITY_REQUIRED: 131,
  REVOCATION_FAILED_MN_ATTACHED: 132,
} as const;

/** Handover Initiate codes (RFC 5568 §6.2.1.1, RFC 5949 §6.1.1). */
export const HI_CODE = {
  FBU_FROM_PCOA: 0,
  FBU_NOT_FROM_PCOA: 1,
  FORWARDING_COMPLETE: 2,
  ALL_CONTEXT_TRANSFERRED: 3,
} as const;

/** Handover Acknowledge codes (RFC 5568 §6.2.1.2, RFC 5949 §6.1.2). */
export const HACK_CODE = {
  ACCEPTED: 0,
  ACCEPTED_NCOA_NOT_VALID: 1,
  ACCEPTED_NCOA_ASSIGNED: 2,
  ACCEPTED_USE_PCOA: 3,
  UNSOLICITED: 4,
  CONTEXT_TRANSFER_ACCEPTED: 5,
  ALL_CONTEXT_TRANSFERRED: 6,
  NOT_ACCEPTED: 128,
  ADMINISTRATIVELY_PROHIBITED: 129,
  INSUFFICIENT_RESOURCES: 130,
  HOME_REGISTRATION_NOT_SUPPORTED: 131,
  NOT_HOME_SUBNET: 132,
  NOT_HOME_AGENT_FOR_THIS_MOBILE_NODE: 133,
  REQUESTED_CONTEXT_NOT_AVAILABLE: 131,
  FORWARDING_NOT_AVAILABLE: 132,
} as const;

/** LRA status values (RFC 6705 §10.2). */
export const LRA_STATUS = { SUCCESS: 0, NOT_ALLOWED: 128, MN_NOT_ATTACHED: 129 } as const;

/** LRI/LRA lifetime meaning "infinite" (RFC 6705 §10.1). */
export const LR_LIFETIME_INFINITE = 0xffff;

/** Subtypes of dmmlab's Experimental Mobility Header messages (ours, RFC 5096 leaves them open). */
export const EXP_SUBTYPE = { LM_LOCATION_QUERY: 1, LM_LOCATION_REPLY: 2 } as const;

/** Flag bits of each message's flag field, as they sit on the wire. */
export const BU_FLAG_BITS = {
  A: 0x8000, // RFC 6275
  H: 0x4000, // RFC 6275
  L: 0x2000, // RFC 6275
  K: 0x1000, // RFC 6275
  M: 0x0800, // RFC 4140
  R: 0x0400, // RFC 3963
  P: 0x0200, // RFC 5213
  F: 0x0100, // RFC 5555
  T: 0x0080, // RFC 5845
  B: 0x0040, // RFC 6602
  S: 0x0020, // RFC 7161
  D: 0x0010, // RFC 8885
} as const;
export const BA_FLAG_BITS = { K: 0x80, R: 0x40, P: 0x20, T: 0x10, B: 0x08, S: 0x04, D: 0x02 } as const;
export const HI_FLAG_BITS = { S: 0x80, U: 0x40, P: 0x20, F: 0x10 } as const;
export const HACK_FLAG_BITS = { U: 0x80, P: 0x40, F: 0x20 } as const;
export const BR_FLAG_BITS = { P: 0x8000, V: 0x4000, G: 0x2000 } as const;
export const LRA_FLAG_BITS = { U: 0x80 } as const;

export type BuFlags = Record<keyof typeof BU_FLAG_BITS, boolean>;
export type BaFlags = Record<keyof typeof BA_FLAG_BITS, boolean>;
export type HiFlags = Record<keyof typeof HI_FLAG_BITS, boolean>;
export type HackFlags = Record<keyof typeof HACK_FLAG_BITS, boolean>;
export type BrFlags = Record<keyof typeof BR_FLAG_BITS, boolean>;
export type LraFlags = Record<keyof typeof LRA_FLAG_BITS, boolean>;

/** A decoded mobility option; `unknown` keeps any other type byte for byte. */
export type MobilityOption =
  | { kind: 'pad1' }
  | PadNOption
  | { kind: 'altCoa'; address: string }
  | { kind: 'mnId'; id: string }
  | { kind: 'hnp'; prefix: string }
  | { kind: 'handoff'; value: number }
  | { kind: 'att'; value: number }
  | { kind: 'mnLinkLayerId'; id: Uint8Array }
  | { kind: 'linkLocal'; address: string }
  | { kind: 'timestamp'; value: bigint }
  | VendorOption
  | { kind: 'experimental'; data: Uint8Array }
  | AuthOption
  | UnknownOption;

/** PadN: `length` octets of padding in total, Type and Length included (>= 2). */
export interface PadNOption {
  /** Discriminant. */
  kind: 'padN';
  /** Total size in octets, including the Type and Length octets. */
  length: number;
}

/** Vendor-Specific Mobility Option (RFC 5094). */
export interface VendorOption {
  /** Discriminant. */
  kind: 'vendor';
  /** IANA Private Enterprise Number; dmmlab uses DMMLAB_VENDOR_ID. */
  vendorId: number;
  /** Vendor-defined sub-type. */
  subtype: number;
  /** Vendor-defined data. */
  data: Uint8Array;
}

/** Mobility Message Authentication option (RFC 4285 layout, HMAC-SHA256 data; see mh-auth.ts). */
export interface AuthOption {
  /** Discriminant. */
  kind: 'auth';
  /** RFC 4285 subtype; dmmlab signs with AUTH_SUBTYPE_PEER. */
  subtype: number;
  /** Mobility SPI naming the key. */
  spi: number;
  /** Authentication data (32 octets when dmmlab signed it). */
  authenticator: Uint8Array;
}

/** An option type this codec does not interpret. */
export interface UnknownOption {
  /** Discriminant. */
  kind: 'unknown';
  /** Option Type octet. */
  type: number;
  /** Option data (without Type and Length). */
  data: Uint8Array;
}

export type OptionKind = MobilityOption['kind'];

/** Fields every message carries. */
interface MessageBase {
  /** Sequence number (16 bit). */
  sequence: number;
  /** Mobility options in wire order; decoded messages include their Pad1/PadN. */
  options: MobilityOption[];
}

/** Binding Update; a Proxy Binding Update when flags.P is set (RFC 6275 §6.1.7, RFC 5213 §8.1). */
export interface PbuMessage extends MessageBase {
  /** Discriminant. */
  type: 'PBU';
  /** A H L K M R P F T B S D flags. */
  flags: BuFlags;
  /** Lifetime in seconds; sent in 4-second units, rounded up. */
  lifetime: number;
}

/** Binding Acknowledgement; a PBA when flags.P is set (RFC 6275 §6.1.8, RFC 5213 §8.2). */
export interface PbaMessage extends MessageBase {
  /** Discriminant. */
  type: 'PBA';
  /** Status (< 128 accepted); see BA_STATUS. */
  status: number;
  /** K R P T B S D flags. */
  flags: BaFlags;
  /** Granted lifetime in seconds; sent in 4-second units, rounded up. */
  lifetime: number;
}

/** Handover Initiate (RFC 5568 §6.2.1.1, RFC 5949 §6.1.1). */
export interface HiMessage extends MessageBase {
  /** Discriminant. */
  type: 'HI';
  /** S U P F flags. */
  flags: HiFlags;
  /** Code; see HI_CODE. */
  code: number;
}

/** Handover Acknowledge (RFC 5568 §6.2.1.2, RFC 5949 §6.1.2). */
export interface HackMessage extends MessageBase {
  /** Discriminant. */
  type: 'HAck';
  /** U P F flags. */
  flags: HackFlags;
  /** Code; see HACK_CODE. */
  code: number;
}

/** Binding Revocation Indication (RFC 5846 §6, B.R. Type 1). */
export interface BriMessage extends MessageBase {
  /** Discriminant. */
  type: 'BRI';
  /** Revocation trigger; see REVOCATION_TRIGGER. */
  trigger: number;
  /** P V G flags. */
  flags: BrFlags;
}

/** Binding Revocation Acknowledgement (RFC 5846 §6, B.R. Type 2). */
export interface BraMessage extends MessageBase {
  /** Discriminant. */
  type: 'BRA';
  /** Status; see REVOCATION_STATUS. */
  status: number;
  /** P V G flags. */
  flags: BrFlags;
}

/** Localized Routing Initiation (RFC 6705 §10.1). */
export interface LriMessage extends MessageBase {
  /** Discriminant. */
  type: 'LRI';
  /** Requested lifetime in seconds (0 stops, 0xffff infinite). */
  lifetime: number;
}

/** Localized Routing Acknowledgment (RFC 6705 §10.2). */
export interface LraMessage extends MessageBase {
  /** Discriminant. */
  type: 'LRA';
  /** U (unsolicited) flag. */
  flags: LraFlags;
  /** Status; see LRA_STATUS. */
  status: number;
  /** Lifetime in seconds. */
  lifetime: number;
}

/** dmmlab message in an Experimental Mobility Header (RFC 5096; Message Data layout is ours). */
export interface ExpMessage extends MessageBase {
  /** Discriminant. */
  type: 'EXP';
  /** Our subtype; see EXP_SUBTYPE (unknown values decode too). */
  subtype: number;
  /** Status (< 128 success, like BA). */
  status: number;
  /** Lifetime in seconds; sent in 4-second units, rounded up. */
  lifetime: number;
}

/** Every message dmmlab speaks. */
export type MhMessage = PbuMessage | PbaMessage | HiMessage | HackMessage | BriMessage | BraMessage | LriMessage | LraMessage | ExpMessage;

export type MessageKind = MhMessage['type'];

/** MH Type of each message kind. */
export const MH_TYPE_OF: Record<MessageKind, number> = {
  PBU: MH_TYPE.BU,
  PBA: MH_TYPE.BA,
  HI: MH_TYPE.HI,
  HAck: MH_TYPE.HACK,
  BRI: MH_TYPE.BINDING_REVOCATION,
  BRA: MH_TYPE.BINDING_REVOCATION,
  LRI: MH_TYPE.LRI,
  LRA: MH_TYPE.LRA,
  EXP: MH_TYPE.EXPERIMENTAL,
};

/** Offset of the first mobility option from the start of the MH, by MH Type. */
export const OPTIONS_OFFSET: Readonly<Record<number, number>> = {
  [MH_TYPE.BU]: 12,
  [MH_TYPE.BA]: 12,
  [MH_TYPE.EXPERIMENTAL]: 12,
  [MH_TYPE.HI]: 10,
  [MH_TYPE.HACK]: 10,
  [MH_TYPE.BINDING_REVOCATION]: 12,
  [MH_TYPE.LRI]: 12,
  [MH_TYPE.LRA]: 12,
};

/** Why a byte string is not a message dmmlab understands. */
export type DecodeErrorReason = 'truncated' | 'bad-length' | 'unknown-type' | 'bad-payload-proto' | 'bad-option';

/** What decodeMessage reports instead of throwing. */
export interface DecodeError {
  /** Stable reason code. */
  reason: DecodeErrorReason;
  /** Human-readable detail naming the offset or value. */
  detail: string;
}

/** Result of decodeMessage. */
export type DecodeResult = { ok: true; message: MhMessage; checksum: number } | { ok: false; error: DecodeError };

/** A flag record with every flag false except those given. */
export function makeFlags<K extends string>(bits: Readonly<Record<K, number>>, set: Partial<Record<K, boolean>> = {}): Record<K, boolean> {
  const out = {} as Record<K, boolean>;
  for (const k of Object.keys(bits) as K[]) out[k] = set[k] === true;
  return out;
}
