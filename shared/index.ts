export * from "./bodies.ts";
export * from "./errors.ts";
export * from "./flows.ts";
export * from "./identity.ts";
export * from "./session.ts";
export * from "./ui.ts";
