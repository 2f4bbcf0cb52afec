import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Http2Bindings, type HttpBindings, serve } from "@hono/node-server";
import { type Logger, logs, silentLogger } from "./logger.ts";
import { registerNodeRequest } from "./request/body.ts";

/** A Node listener (through @hono/node-server) whose fetch handler is bound after it is listening. */
export interface Listener {
  /** `http://host:port/` with the real port, even when asked for port 0. */
  url: string;
  bind(handler: (req: Request) => Promise<Response>): void;
  close(): Promise<void>;
  /**
   * Graceful stop: no new connections, idle keep-alive connections closed now, requests in flight
   * given `graceMs` to finish; then every connection left (a stalled upload, a client that never
   * reads) is destroyed. Resolves once the server is closed.
   */
  shutdown(graceMs: number): Promise<void>;
}

/**
 * A client that hangs up before its answer is sent (an aborted upload, a closed tab) is routine, not a
 * server error: one debug line says so. (The body reader turns the broken stream into a 400 that
 * nobody reads, so nothing is logged as an unhandled error either.)
 */
function noteEarlyClose(req: Request, bindings: HttpBindings | Http2Bindings, logger: Logger) {
  const { outgoing } = bindings;
  outgoing.once("close", () => {
    if (outgoing.writableFinished) return;
    logger.debug("client closed the connection before the answer was sent", {
      method: req.method,
      path: new URL(req.url).pathname,
    });
  });
}

/**
 * Listens first and binds the handler later, so a server asked for port 0 can learn its real port
 * before the app (whose base URLs name that port) is built.
 */
export async function listen(host: string, port: number, logger: Logger = silentLogger): Promise<Listener> {
  let handler: (req: Request) => Promise<Response> = async () => new Response("starting", { status: 503 });
  // The note is a debug line: below debug, no listener per response.
  const noteClose = logs(logger, "debug");
  const fetch = (req: Request, bindings: HttpBindings | Http2Bindings) => {
    if (noteClose) noteEarlyClose(req, bindings, logger);
    if (req.method !== "GET" && req.method !== "HEAD") registerNodeRequest(req, bindings.incoming);
    return handler(req);
  };
  const server = await new Promise<ReturnType<typeof serve>>((ok, fail) => {
    const s = serve({ fetch, hostname: host, port }, () => ok(s));
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
    shutdown: async (graceMs) => {
      const http = server as Server;
      const closed = new Promise<void>((ok) => server.close(() => ok()));
      http.closeIdleConnections();
      const force = setTimeout(() => http.closeAllConnections(), graceMs);
      try {
        await closed;
      } finally {
        clearTimeout(force);
      }
    },
  };
}
