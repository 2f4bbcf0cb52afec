CREATE TABLE "address_changes" (
	"id" text PRIMARY KEY NOT NULL,
	"identity_id" text NOT NULL,
	"status" text NOT NULL,
	"trait" text NOT NULL,
	"via" text NOT NULL,
	"old_value" text NOT NULL,
	"new_value" text NOT NULL,
	"verification_flow_id" text,
	"session_id" text,
	"revert_hmac" text,
	"revert_expires_at" timestamp(3) with time zone,
	"created_at" timestamp(3) with time zone NOT NULL,
	"updated_at" timestamp(3) with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "address_changes" ADD CONSTRAINT "address_changes_identity_id_identities_id_fk" FOREIGN KEY ("identity_id") REFERENCES "identities"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "address_changes_identity_status_idx" ON "address_changes" USING btree ("identity_id","status");--> statement-breakpoint
CREATE UNIQUE INDEX "address_changes_revert_hmac_idx" ON "address_changes" USING btree ("revert_hmac");