/** `oidc-provider` ships no types; the test helper uses a small part of it. */
declare module "oidc-provider" {
  // biome-ignore lint/suspicious/noExplicitAny: untyped package, only used by tests/helpers/oidc-provider.ts
  const Provider: any;
  export default Provider;
}
