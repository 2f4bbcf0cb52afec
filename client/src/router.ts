/**
 * The public tRPC router's TYPE as a front end sees it, built from the wire types alone (the
 * server's router type would drag in its context: the store, sessions, drizzle, lucia...).
 * `createTRPCClient<PublicRouter<MyTraits>>` gets every procedure typed with your traits.
 * tests/client/wire-types.test.ts checks that it matches the server's `publicRouter`.
 */
import type {
  TRPC_ERROR_CODE_KEY,
  TRPCBuiltRouter,
  TRPCDefaultErrorShape,
  TRPCMutationProcedure,
  TRPCQueryProcedure,
} from "@trpc/server";
import type {
  AccountExport,
  DeletionConfirmation,
  DeletionStatus,
  ErrorEnvelope,
  FlowSubmission,
  FlowType,
  HistoryInput,
  LoginFlow,
  LoginPasswordBody,
  LoginSuccess,
  PendingAddressChange,
  RecoveryBody,
  RecoveryFlow,
  RegistrationFlow,
  RegistrationPasswordBody,
  RegistrationSuccess,
  SecurityEvent,
  Session,
  SettingsBody,
  SettingsFlow,
  Traits,
  VerificationBody,
  VerificationFlow,
} from "./wire.ts";

/** The `data` of every error the server sends: tRPC's fields plus the Kratos envelope. */
export interface TesseraErrorData {
  code: TRPC_ERROR_CODE_KEY;
  httpStatus: number;
  path?: string;
  stack?: string;
  /** Exactly what the REST route would have answered. */
  kratos: ErrorEnvelope;
}

/** The shape of every tRPC error of Tessera's routers. */
export type TesseraErrorShape = Omit<TRPCDefaultErrorShape, "data"> & { data: TesseraErrorData };

/** A flow to show again, possibly with messages (REST: 400 with the flow). */
export interface FlowForm<F> {
  status: "form";
  flow: F;
}

/** The raw result of a `submit` procedure: the flow again, or the success body, tagged. */
export type FlowResult<F, S> = FlowForm<F> | ({ status: "success" } & S);

type Root = { ctx: object; meta: object; errorShape: TesseraErrorShape; transformer: false };
type Query<I, O> = TRPCQueryProcedure<{ input: I; output: O; meta: object }>;
type Mutation<I, O> = TRPCMutationProcedure<{ input: I; output: O; meta: object }>;

interface CreateFlowInput {
  type: FlowType;
  returnTo?: string;
}

interface CreateLoginInput extends CreateFlowInput {
  refresh?: boolean;
  aal?: "aal1" | "aal2";
}

interface FlowIdInput {
  id: string;
}

/** The procedures of the public router, by namespace. */
export type PublicRecord<T extends object = Traits> = {
  registration: {
    create: Mutation<CreateFlowInput, RegistrationFlow>;
    get: Query<FlowIdInput, RegistrationFlow>;
    submit: Mutation<
      FlowSubmission<RegistrationPasswordBody<T>>,
      FlowResult<RegistrationFlow, RegistrationSuccess<T>>
    >;
  };
  login: {
    create: Mutation<CreateLoginInput, LoginFlow>;
    get: Query<FlowIdInput, LoginFlow>;
    submit: Mutation<{ flow: string; body: LoginPasswordBody }, FlowResult<LoginFlow, LoginSuccess<T>>>;
  };
  session: {
    whoami: Query<void, Session<T>>;
    list: Query<void, Session<T>[]>;
    revokeOthers: Mutation<void, { count: number }>;
    revoke: Mutation<{ id: string }, void>;
    logout: Mutation<{ sessionToken: string } | undefined, void>;
  };
  settings: {
    create: Mutation<CreateFlowInput, SettingsFlow<T>>;
    get: Query<FlowIdInput, SettingsFlow<T>>;
    submit: Mutation<FlowSubmission<SettingsBody<T>>, FlowResult<SettingsFlow<T>, SettingsFlow<T>>>;
  };
  verification: {
    create: Mutation<CreateFlowInput, VerificationFlow>;
    get: Query<FlowIdInput, VerificationFlow>;
    submit: Mutation<
      { flow: string; body: VerificationBody },
      FlowResult<VerificationFlow, VerificationFlow>
    >;
  };
  recovery: {
    create: Mutation<CreateFlowInput, RecoveryFlow>;
    get: Query<FlowIdInput, RecoveryFlow>;
    submit: Mutation<{ flow: string; body: RecoveryBody }, FlowResult<RecoveryFlow, RecoveryFlow>>;
  };
  account: {
    history: Query<HistoryInput | undefined, SecurityEvent[]>;
    pendingAddressChange: Query<void, { pending: PendingAddressChange | null }>;
    cancelPendingAddressChange: Mutation<void, { cancelled: boolean }>;
    export: Query<void, AccountExport<T>>;
    deletion: {
      status: Query<void, DeletionStatus>;
      request: Mutation<{ confirm: DeletionConfirmation }, DeletionStatus>;
    };
  };
};

/** Tessera's public tRPC router, typed with your identity schema's traits. */
export type PublicRouter<T extends object = Traits> = TRPCBuiltRouter<Root, PublicRecord<T>>;
