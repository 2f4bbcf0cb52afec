CREATE TABLE "selfservice_flow_attempts" (
	"flow_id" text NOT NULL,
	"generation" text NOT NULL,
	"count" integer NOT NULL,
	CONSTRAINT "selfservice_flow_attempts_flow_id_generation_pk" PRIMARY KEY("flow_id","generation")
);
--> statement-breakpoint
ALTER TABLE "selfservice_flow_attempts" ADD CONSTRAINT "selfservice_flow_attempts_flow_id_selfservice_flows_id_fk" FOREIGN KEY ("flow_id") REFERENCES "selfservice_flows"("id") ON DELETE cascade ON UPDATE no action;