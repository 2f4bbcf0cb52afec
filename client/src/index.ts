/**
 * @tessera/client: a typed client for Tessera's tRPC API. Only wire types live here; the server's
 * code and libraries are never part of a front end's build or type-check.
 */
export {
  type CreateFlowOptions,
  type CreateLoginOptions,
  createTesseraClient,
  csrfTokenOf,
  type DeletionResult,
  type FetchLike,
  type FormResult,
  type LoginInput,
  type LoginResult,
  type RecoveryResult,
  type RegistrationInput,
  type RegistrationResult,
  type SessionMode,
  type SessionToken,
  type SettingsResult,
  type SubmitOptions,
  type TesseraClient,
  type TesseraClientOptions,
  type VerificationResult,
  type VerificationStep,
} from "./client.ts";
export {
  envelopeOf,
  isTesseraError,
  type KratosErrorDetails,
  type KratosErrorId,
  TesseraError,
  toTesseraError,
} from "./errors.ts";
export { type FlowMessages, messagesOf } from "./messages.ts";
export type {
  FlowForm,
  FlowResult,
  PublicRecord,
  PublicRouter,
  TesseraErrorData,
  TesseraErrorShape,
} from "./router.ts";
export { mergeTraits, type TraitsPatch } from "./traits.ts";
export type * from "./wire.ts";
