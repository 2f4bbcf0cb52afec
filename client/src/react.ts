/**
 * @tessera/client/react: two hooks over a `TesseraClient`, no UI components. `react` is a peer
 * dependency, needed only by this entry point.
 */
// The main entry by its package name: the built react.js and react.d.ts import it rather than carry
// a second copy of it.
import type {
  Session,
  SettingsFlow,
  SettingsResult,
  TesseraClient,
  Traits,
  TraitsPatch,
} from "@tessera/client";
import { useCallback, useEffect, useRef, useState } from "react";

export interface SessionState<T extends object> {
  /** `undefined` while loading, `null` when signed out. */
  session: Session<T> | null | undefined;
  loading: boolean;
  /** A failed look-up (a network problem, a server error); not being signed in is not an error. */
  error: unknown;
  /** Asks again (after signing in or out). */
  refresh(): Promise<void>;
}

/** The current session (`whoami`), loaded when the component mounts. */
export function useSession<T extends object = Traits>(client: TesseraClient<T>): SessionState<T> {
  const [session, setSession] = useState<Session<T> | null | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(undefined);
  const refresh = useCallback(async () => {
    setLoading(true);
    try {
      setSession(await client.session.whoami());
      setError(undefined);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  }, [client]);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  return { session, loading, error, refresh };
}

export interface SettingsFlowOptions {
  /**
   * The flow to load (e.g. `?flow=` after Tessera sent the browser back); a new flow is created
   * without one, or when it is unknown or expired.
   */
  flowId?: string | null;
  returnTo?: string;
  /**
   * Called when a change needs a fresher sign-in. Default in browsers: go to `redirectTo` (Tessera's
   * refresh login), after which Tessera applies the change and sends the browser back.
   */
  onRefreshRequired?: (redirectTo: string) => void;
  /** Told about every new flow (e.g. to put its id in the URL). */
  onFlow?: (flowId: string) => void;
}

export interface SettingsFlowState<T extends object> {
  /** The flow to render (updated after every submit); `undefined` while loading. */
  flow: SettingsFlow<T> | undefined;
  /** The last submit's result. */
  result: SettingsResult<T> | undefined;
  loading: boolean;
  submitting: boolean;
  /** A failed load or submit (a TesseraError keyed by Kratos error id, or a network failure). */
  error: unknown;
  updateProfile(patch: TraitsPatch<T>): Promise<SettingsResult<T> | undefined>;
  changePassword(password: string): Promise<SettingsResult<T> | undefined>;
  /** Loads the flow again, or a new one. */
  reload(): Promise<void>;
}

function defaultRefresh(redirectTo: string): void {
  const g = globalThis as { location?: { assign(url: string): void } };
  g.location?.assign(redirectTo);
}

/** A settings flow with its two changes; the CSRF token and the unchanged traits are handled. */
export function useSettingsFlow<T extends object = Traits>(
  client: TesseraClient<T>,
  options: SettingsFlowOptions = {},
): SettingsFlowState<T> {
  const { flowId, returnTo } = options;
  const [flow, setFlow] = useState<SettingsFlow<T> | undefined>(undefined);
  const [result, setResult] = useState<SettingsResult<T> | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const callbacks = useRef(options);
  callbacks.current = options;

  const show = useCallback((next: SettingsFlow<T>) => {
    setFlow(next);
    callbacks.current.onFlow?.(next.id);
  }, []);

  const reload = useCallback(async () => {
    setLoading(true);
    try {
      let next: SettingsFlow<T> | undefined;
      if (flowId) {
        next = await client.settings.get(flowId).catch((err: unknown) => {
          const status = (err as { status?: unknown }).status;
          // Unknown, expired or someone else's flow: start a new one instead.
          if (status === 404 || status === 410 || status === 403) return undefined;
          throw err;
        });
      }
      show(next ?? (await client.settings.create(returnTo ? { returnTo } : {})));
      setError(undefined);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  }, [client, flowId, returnTo, show]);

  useEffect(() => {
    void reload();
  }, [reload]);

  const run = useCallback(
    async (submit: (current: SettingsFlow<T>) => Promise<SettingsResult<T>>) => {
      if (!flow) return undefined;
      setSubmitting(true);
      try {
        const outcome = await submit(flow);
        setResult(outcome);
        setError(undefined);
        if (outcome.status === "refreshRequired") {
          (callbacks.current.onRefreshRequired ?? defaultRefresh)(outcome.redirectTo);
        } else {
          show(outcome.flow);
        }
        return outcome;
      } catch (err) {
        setError(err);
        // An expired flow: show the replacement Tessera made (it says why) so the person can retry.
        const expired = err as { id?: unknown; useFlowId?: unknown };
        if (expired.id === "self_service_flow_expired" && typeof expired.useFlowId === "string") {
          await client.settings.get(expired.useFlowId).then(show, () => undefined);
        }
        return undefined;
      } finally {
        setSubmitting(false);
      }
    },
    [client, flow, show],
  );

  return {
    flow,
    result,
    loading,
    submitting,
    error,
    updateProfile: (patch) => run((f) => client.settings.updateProfile(f, patch)),
    changePassword: (password) => run((f) => client.settings.changePassword(f, password)),
    reload,
  };
}
