/** The Mobility Header protocol shared by the orchestrator and the agent (docs/protocol.md). */
export * from './mh-types.js';
export {
  type Alignment,
  OPTION_ALIGNMENT,
  decodeOptions,
  encodeOption,
  encodeOptionsRegion,
  padLength,
  padding,
  timestampFromMillis,
  timestampToMillis,
} from './mh-options.js';
export { type EncodeContext, MAX_MH_LENGTH, checksumValid, decodeMessage, encodeMessage, mhChecksum, withoutPadding } from './mh-codec.js';
export {
  type AuthKey,
  type VerifyContext,
  type VerifyFailure,
  type VerifyResult,
  AUTH_OPTION_SIZE,
  authCoverage,
  computeAuthenticator,
  verifyMessage,
} from './mh-auth.js';
export {
  type ReplayGuard,
  type ReplayGuardOptions,
  type ReplayRejection,
  type ReplayTuple,
  type ReplayVerdict,
  createReplayGuard,
  replayTupleOf,
} from './replay-guard.js';
