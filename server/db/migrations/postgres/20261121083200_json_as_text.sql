-- +goose Up
-- modify "channels" table
ALTER TABLE "channels" ALTER COLUMN "credentials" TYPE text;
-- modify "customers" table
ALTER TABLE "customers" ALTER COLUMN "phones" TYPE text, ALTER COLUMN "emails" TYPE text;
-- modify "messages" table
ALTER TABLE "messages" ALTER COLUMN "post" TYPE text, ALTER COLUMN "transcription" TYPE text, ALTER COLUMN "template" TYPE text;

-- +goose Down
-- reverse: modify "messages" table
ALTER TABLE "messages" ALTER COLUMN "template" TYPE jsonb USING "template"::jsonb, ALTER COLUMN "transcription" TYPE jsonb USING "transcription"::jsonb, ALTER COLUMN "post" TYPE jsonb USING "post"::jsonb;
-- reverse: modify "customers" table
ALTER TABLE "customers" ALTER COLUMN "emails" TYPE jsonb USING "emails"::jsonb, ALTER COLUMN "phones" TYPE jsonb USING "phones"::jsonb;
-- reverse: modify "channels" table
ALTER TABLE "channels" ALTER COLUMN "credentials" TYPE jsonb USING "credentials"::jsonb;
