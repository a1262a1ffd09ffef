import type { EXPECTATION_KINDS, ExpectationKind } from '../scenario/schema.js';
import { attachedVerifier } from './kinds/attached.js';
import { bindingVerifier } from './kinds/binding.js';
import { cleanVerifier } from './kinds/clean.js';
import { flowVerifier } from './kinds/flow.js';
import { homeBindingVerifier } from './kinds/home-binding.js';
import { proxiedVerifier } from './kinds/proxied.js';
import { releasedVerifier } from './kinds/released.js';
import { signallingVerifier } from './kinds/signalling.js';
import { sourceValidationVerifier } from './kinds/source-validation.js';
import type { Verifier } from './verifier.js';

/**
 * One verifier per kind of expectation. The type makes the registry cover
 * every kind of the scenario schema, each checked where the schema says
 * (a new kind adds its fields to EXPECTATION_KINDS and its file here).
 */
export const VERIFIERS: { [K in ExpectationKind]: Extract<Verifier, { on: (typeof EXPECTATION_KINDS)[K]['on'] }> } = {
  flow: flowVerifier,
  signalling: signallingVerifier,
  sourceValidation: sourceValidationVerifier,
  clean: cleanVerifier,
  attached: attachedVerifier,
  binding: bindingVerifier,
  released: releasedVerifier,
  proxied: proxiedVerifier,
  homeBinding: homeBindingVerifier,
};
