import { defineConfig } from "drizzle-kit";

// PostgreSQL migrations; the SQLite ones come from drizzle.config.ts (`npm run db:generate` runs both).
export default defineConfig({
  dialect: "postgresql",
  schema: "./db/pg/schema.ts",
  out: "./db/migrations/pg",
});
