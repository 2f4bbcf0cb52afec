CREATE TABLE "courier_message_dispatches" (
	"id" text PRIMARY KEY NOT NULL,
	"message_id" text NOT NULL,
	"status" text NOT NULL,
	"error" jsonb,
	"created_at" timestamp(3) with time zone NOT NULL,
	"updated_at" timestamp(3) with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "courier_messages" ADD COLUMN "html_body" text;--> statement-breakpoint
ALTER TABLE "courier_messages" ADD COLUMN "send_after" timestamp(3) with time zone;--> statement-breakpoint
ALTER TABLE "courier_message_dispatches" ADD CONSTRAINT "courier_message_dispatches_message_id_courier_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "courier_messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "courier_message_dispatches_message_id_idx" ON "courier_message_dispatches" USING btree ("message_id","created_at");--> statement-breakpoint
CREATE INDEX "courier_messages_recipient_created_at_idx" ON "courier_messages" USING btree ("recipient","created_at");