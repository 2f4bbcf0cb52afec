import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";

/** A Node listener (through @hono/node-server) whose fetch handler is bound after it is listening. */
export interface Listener {
  /** `http://host:port/` with the real port, even when asked for port 0. */
  url: string;
  bind(handler: (req: Request) => Promise<Response>): void;
  close(): Promise<void>;
}

/**
 * Listens first and binds the handler later, so a server asked for port 0 can learn its real port
 * before the app (whose base URLs name that port) is built.
 */
export async function listen(host: string, port: number): Promise<Listener> {
  let handler: (req: Request) => Promise<Response> = async () => new Response("starting", { status: 503 });
  const server = await new Promise<ReturnType<typeof serve>>((ok, fail) => {
    const s = serve({ fetch: (req: Request) => handler(req), hostname: host, port }, () => ok(s));
    s.once("error", (err: NodeJS.ErrnoException) =>
      fail(err.code === "EADDRINUSE" ? new Error(`${host}:${port} is already in use`) : err),
    );
  });
  const address = server.address() as AddressInfo;
  const shownHost = host === "0.0.0.0" || host === "" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${address.port}/`,
    bind: (h) => {
      handler = h;
    },
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
