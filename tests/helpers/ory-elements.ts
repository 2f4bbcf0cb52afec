import { SettingsFlowFromJSON } from "@ory/client-fetch";
import { Settings } from "@ory/elements-react/theme";
import { type ComponentProps, createElement } from "react";
import { renderToString } from "react-dom/server";
import type { TestServer } from "./server.ts";

/**
 * Server-side rendering of Tessera's flows with Ory's own UI library (`@ory/elements-react`), shared
 * by tests/browser/ory-elements.test.ts and tests/account/ory-compat-features-on.test.ts.
 */

type OryFlow = ComponentProps<typeof Settings>["flow"];

type OryConfig = ComponentProps<typeof Settings>["config"];

/** Ory Elements' project configuration, pointing at Tessera's built-in pages. */
export function oryConfig(s: TestServer, project: Partial<OryConfig["project"]> = {}): OryConfig {
  const ui = (page: string) => new URL(`ui/${page}`, s.publicUrl).toString();
  return {
    sdk: { url: s.publicUrl },
    project: {
      name: "Tessera",
      default_redirect_url: ui("welcome"),
      error_ui_url: ui("error"),
      login_ui_url: ui("login"),
      registration_ui_url: ui("registration"),
      recovery_ui_url: ui("recovery"),
      settings_ui_url: ui("settings"),
      verification_ui_url: ui("verification"),
      recovery_enabled: false,
      registration_enabled: true,
      verification_enabled: false,
      ...project,
    },
  };
}

/** Renders a settings flow's JSON exactly as it came over the wire (through the SDK's own JSON decoder). */
export function renderSettings(
  s: TestServer,
  flow: object,
  project: Partial<OryConfig["project"]> = {},
): string {
  const decoded = SettingsFlowFromJSON(flow) as unknown as OryFlow;
  return renderToString(createElement(Settings, { flow: decoded, config: oryConfig(s, project) }));
}

/** The start tag of the element with `data-testid="<id>"`, or undefined. */
export function tagWithTestId(html: string, id: string): string | undefined {
  const escaped = id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`<[a-z]+[^>]*data-testid="${escaped}"[^>]*>`).exec(html)?.[0];
}

export function attrOf(tag: string | undefined, name: string): string | undefined {
  return tag ? new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1] : undefined;
}
