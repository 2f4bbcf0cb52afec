import { errors } from "../../request/errors.ts";
import { json } from "../respond.ts";
import { route } from "../router.ts";

/** Identity schemas on the public listener: `/schemas` and `/schemas/{id}` (contract §14.1). */
export const schemaRoutes = [
  route("GET", "/schemas", (ctx) => {
    const { registry } = ctx.deps;
    return json(
      ctx,
      200,
      registry.ids().map((id) => ({ id, schema: registry.raw(id) })),
    );
  }),
  route("GET", "/schemas/:id", (ctx, params) => {
    const id = ctx.deps.registry.resolveSchemaId(params.id!);
    if (!id) throw errors.notFound("The requested identity schema does not exist.");
    return json(ctx, 200, ctx.deps.registry.raw(id));
  }),
];
