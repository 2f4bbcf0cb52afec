import { defineConfig } from "drizzle-kit";

// SQLite migrations; the PostgreSQL ones come from drizzle.pg.config.ts (`npm run db:generate` runs both).
export default defineConfig({
  dialect: "sqlite",
  schema: "./db/sqlite/schema.ts",
  out: "./db/migrations/sqlite",
});
