-- +goose Up
-- create "attachments" table
CREATE TABLE "attachments" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "uploader_key" character varying NOT NULL, "filename" character varying NOT NULL, "content_type" character varying NOT NULL, "size" bigint NOT NULL, "storage_key" character varying NOT NULL, "width" bigint NULL, "height" bigint NULL, "duration_seconds" double precision NULL, "expires_at" timestamptz NULL, "expired" boolean NOT NULL DEFAULT false, "conversation_id" character varying NOT NULL, "message_id" character varying NULL, PRIMARY KEY ("id"));
-- create index "attachment_expired_expires_at" to table: "attachments"
CREATE INDEX "attachment_expired_expires_at" ON "attachments" ("expired", "expires_at");
-- create index "attachment_message_id" to table: "attachments"
CREATE INDEX "attachment_message_id" ON "attachments" ("message_id");
-- create index "attachment_message_id_created_at" to table: "attachments"
CREATE INDEX "attachment_message_id_created_at" ON "attachments" ("message_id", "created_at");
-- create "calls" table
CREATE TABLE "calls" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "media" character varying NOT NULL, "state" character varying NOT NULL DEFAULT 'RINGING', "dial_number" character varying NULL, "ended_at" timestamptz NULL, "conversation_id" character varying NOT NULL, "started_by_id" character varying NOT NULL, PRIMARY KEY ("id"));
-- create "canned_responses" table
CREATE TABLE "canned_responses" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "shortcut" character varying NOT NULL, "text" text NOT NULL, "shared" boolean NOT NULL DEFAULT false, "owner_id" character varying NOT NULL, PRIMARY KEY ("id"));
-- create index "cannedresponse_owner_id" to table: "canned_responses"
CREATE INDEX "cannedresponse_owner_id" ON "canned_responses" ("owner_id");
-- create index "cannedresponse_shared" to table: "canned_responses"
CREATE INDEX "cannedresponse_shared" ON "canned_responses" ("shared");
-- create "channels" table
CREATE TABLE "channels" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "kind" character varying NOT NULL, "name" character varying NOT NULL, "connected" boolean NOT NULL DEFAULT true, "max_file_size" bigint NOT NULL, "auto_close_after_hours" bigint NULL, "file_retention_hours" bigint NOT NULL DEFAULT 72, "external_id" character varying NULL, "page_name" character varying NULL, "credentials" jsonb NULL, PRIMARY KEY ("id"));
-- create index "channel_kind_external_id" to table: "channels"
CREATE INDEX "channel_kind_external_id" ON "channels" ("kind", "external_id");
-- create "contacts" table
CREATE TABLE "contacts" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "external_id" character varying NOT NULL, "display_name" character varying NULL, "phone" character varying NULL, "email" character varying NULL, "nickname" character varying NULL, "avatar_url" character varying NULL, "privacy_restricted" boolean NOT NULL DEFAULT false, "channel_id" character varying NOT NULL, PRIMARY KEY ("id"));
-- create index "contact_channel_id_external_id" to table: "contacts"
CREATE UNIQUE INDEX "contact_channel_id_external_id" ON "contacts" ("channel_id", "external_id");
-- create "conversations" table
CREATE TABLE "conversations" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "kind" character varying NOT NULL, "title" character varying NOT NULL DEFAULT '', "direct_key" character varying NULL, "last_seq" bigint NOT NULL DEFAULT 0, "last_message_at" timestamptz NULL, "ended_at" timestamptz NULL, "status" character varying NULL, "reply_state" character varying NULL, "archived_at" timestamptz NULL, "last_inbound_at" timestamptz NULL, "session_unread" bigint NOT NULL DEFAULT 0, "channel_id" character varying NULL, "contact_id" character varying NULL, "admin_id" character varying NULL, "last_message_id" character varying NULL, "assignee_id" character varying NULL, "archived_by_id" character varying NULL, PRIMARY KEY ("id"));
-- create index "conversation_channel_id_contact_id" to table: "conversations"
CREATE UNIQUE INDEX "conversation_channel_id_contact_id" ON "conversations" ("channel_id", "contact_id");
-- create index "conversation_channel_id_status_last_message_at" to table: "conversations"
CREATE INDEX "conversation_channel_id_status_last_message_at" ON "conversations" ("channel_id", "status", "last_message_at");
-- create index "conversation_direct_key" to table: "conversations"
CREATE UNIQUE INDEX "conversation_direct_key" ON "conversations" ("direct_key");
-- create index "conversation_kind_status_last_message_at" to table: "conversations"
CREATE INDEX "conversation_kind_status_last_message_at" ON "conversations" ("kind", "status", "last_message_at");
-- create "customers" table
CREATE TABLE "customers" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NOT NULL, "phones" jsonb NOT NULL, "emails" jsonb NOT NULL, "search_text" text NOT NULL DEFAULT '', PRIMARY KEY ("id"));
-- create "customer_links" table
CREATE TABLE "customer_links" ("id" bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY, "created_at" timestamptz NOT NULL, "contact_id" character varying NOT NULL, "customer_id" character varying NOT NULL, "linked_by_id" character varying NULL, PRIMARY KEY ("id"));
-- create index "customer_links_contact_id_key" to table: "customer_links"
CREATE UNIQUE INDEX "customer_links_contact_id_key" ON "customer_links" ("contact_id");
-- create "documents" table
CREATE TABLE "documents" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "kind" character varying NOT NULL, "seq" bigint NOT NULL, "number" character varying NOT NULL, "title" character varying NOT NULL, "customer_id" character varying NOT NULL, "session_id" character varying NULL, "created_by_id" character varying NULL, PRIMARY KEY ("id"));
-- create index "document_kind_seq" to table: "documents"
CREATE UNIQUE INDEX "document_kind_seq" ON "documents" ("kind", "seq");
-- create "events" table
CREATE TABLE "events" ("id" bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY, "created_at" timestamptz NOT NULL, "xid" bigint NULL DEFAULT ((pg_current_xact_id())::text)::bigint, "type" character varying NOT NULL, "user_id" character varying NULL, "conversation_id" character varying NULL, "channel_id" character varying NULL, "message_id" character varying NULL, "call_id" character varying NULL, PRIMARY KEY ("id"));
-- create index "event_created_at" to table: "events"
CREATE INDEX "event_created_at" ON "events" ("created_at");
-- create index "event_xid_id" to table: "events"
CREATE INDEX "event_xid_id" ON "events" ("xid", "id");
-- create "members" table
CREATE TABLE "members" ("id" bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY, "joined_at" timestamptz NOT NULL, "read_seq" bigint NOT NULL DEFAULT 0, "unread_count" bigint NOT NULL DEFAULT 0, "mention_count" bigint NOT NULL DEFAULT 0, "muted" boolean NOT NULL DEFAULT false, "pinned" boolean NOT NULL DEFAULT false, "archived" boolean NOT NULL DEFAULT false, "activity_at" timestamptz NOT NULL, "conversation_id" character varying NOT NULL, "user_id" character varying NOT NULL, PRIMARY KEY ("id"));
-- create index "member_conversation_id_user_id" to table: "members"
CREATE UNIQUE INDEX "member_conversation_id_user_id" ON "members" ("conversation_id", "user_id");
-- create index "member_user_id_archived_pinned_activity_at" to table: "members"
CREATE INDEX "member_user_id_archived_pinned_activity_at" ON "members" ("user_id", "archived", "pinned", "activity_at");
-- create "messages" table
CREATE TABLE "messages" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "seq" bigint NOT NULL, "author_key" character varying NOT NULL, "direction" character varying NOT NULL, "kind" character varying NOT NULL, "text" text NULL, "status" character varying NOT NULL DEFAULT 'SENT', "failure_reason" character varying NULL, "read_at" timestamptz NULL, "client_message_id" character varying NULL, "channel_id" character varying NULL, "provider_message_id" character varying NULL, "post" jsonb NULL, "message_tag" character varying NULL, "transcription" jsonb NULL, "conversation_id" character varying NOT NULL, "sender_id" character varying NULL, "reply_to_id" character varying NULL, PRIMARY KEY ("id"), CONSTRAINT "messages_messages_reply_to" FOREIGN KEY ("reply_to_id") REFERENCES "messages" ("id") ON UPDATE NO ACTION ON DELETE SET NULL);
-- create index "message_channel_id_provider_message_id" to table: "messages"
CREATE UNIQUE INDEX "message_channel_id_provider_message_id" ON "messages" ("channel_id", "provider_message_id");
-- create index "message_conversation_id_author_key_client_message_id" to table: "messages"
CREATE UNIQUE INDEX "message_conversation_id_author_key_client_message_id" ON "messages" ("conversation_id", "author_key", "client_message_id");
-- create index "message_conversation_id_seq" to table: "messages"
CREATE UNIQUE INDEX "message_conversation_id_seq" ON "messages" ("conversation_id", "seq");
-- create index "message_created_at" to table: "messages"
CREATE INDEX "message_created_at" ON "messages" ("created_at");
-- create index "messages_reply_to_id_key" to table: "messages"
CREATE UNIQUE INDEX "messages_reply_to_id_key" ON "messages" ("reply_to_id");
-- create "outboxes" table
CREATE TABLE "outboxes" ("id" bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "channel_id" character varying NOT NULL, "state" character varying NOT NULL DEFAULT 'PENDING', "attempts" bigint NOT NULL DEFAULT 0, "next_attempt_at" timestamptz NOT NULL, "lease_until" timestamptz NULL, "last_error" character varying NULL, "message_id" character varying NOT NULL, PRIMARY KEY ("id"));
-- create index "outbox_state_next_attempt_at" to table: "outboxes"
CREATE INDEX "outbox_state_next_attempt_at" ON "outboxes" ("state", "next_attempt_at");
-- create "settings" table
CREATE TABLE "settings" ("id" bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "key" character varying NOT NULL, "value" character varying NOT NULL, PRIMARY KEY ("id"));
-- create index "settings_key_key" to table: "settings"
CREATE UNIQUE INDEX "settings_key_key" ON "settings" ("key");
-- create "tokens" table
CREATE TABLE "tokens" ("id" bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY, "created_at" timestamptz NOT NULL, "hash" character varying NOT NULL, "kind" character varying NOT NULL DEFAULT 'USER', "expires_at" timestamptz NULL, "revoked_at" timestamptz NULL, "conversation_id" character varying NULL, "user_id" character varying NULL, PRIMARY KEY ("id"));
-- create index "token_user_id" to table: "tokens"
CREATE INDEX "token_user_id" ON "tokens" ("user_id");
-- create index "tokens_hash_key" to table: "tokens"
CREATE UNIQUE INDEX "tokens_hash_key" ON "tokens" ("hash");
-- create "users" table
CREATE TABLE "users" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NOT NULL, "email" character varying NOT NULL, "extension" character varying NULL, "role" character varying NOT NULL DEFAULT 'MEMBER', "password_hash" character varying NOT NULL, "sound_enabled" boolean NOT NULL DEFAULT true, "popup_enabled" boolean NOT NULL DEFAULT true, "message_mentions" character varying NULL, PRIMARY KEY ("id"));
-- create index "user_name" to table: "users"
CREATE INDEX "user_name" ON "users" ("name");
-- create index "users_email_key" to table: "users"
CREATE UNIQUE INDEX "users_email_key" ON "users" ("email");
-- create index "users_extension_key" to table: "users"
CREATE UNIQUE INDEX "users_extension_key" ON "users" ("extension");
-- create "channel_agents" table
CREATE TABLE "channel_agents" ("channel_id" character varying NOT NULL, "user_id" character varying NOT NULL, PRIMARY KEY ("channel_id", "user_id"));
-- modify "attachments" table
ALTER TABLE "attachments" ADD CONSTRAINT "attachments_conversations_conversation" FOREIGN KEY ("conversation_id") REFERENCES "conversations" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, ADD CONSTRAINT "attachments_messages_message" FOREIGN KEY ("message_id") REFERENCES "messages" ("id") ON UPDATE NO ACTION ON DELETE CASCADE;
-- modify "calls" table
ALTER TABLE "calls" ADD CONSTRAINT "calls_conversations_conversation" FOREIGN KEY ("conversation_id") REFERENCES "conversations" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, ADD CONSTRAINT "calls_users_started_by" FOREIGN KEY ("started_by_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION;
-- modify "canned_responses" table
ALTER TABLE "canned_responses" ADD CONSTRAINT "canned_responses_users_canned_responses" FOREIGN KEY ("owner_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION;
-- modify "contacts" table
ALTER TABLE "contacts" ADD CONSTRAINT "contacts_channels_contacts" FOREIGN KEY ("channel_id") REFERENCES "channels" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION;
-- modify "conversations" table
ALTER TABLE "conversations" ADD CONSTRAINT "conversations_channels_sessions" FOREIGN KEY ("channel_id") REFERENCES "channels" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, ADD CONSTRAINT "conversations_contacts_sessions" FOREIGN KEY ("contact_id") REFERENCES "contacts" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, ADD CONSTRAINT "conversations_messages_last_message" FOREIGN KEY ("last_message_id") REFERENCES "messages" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, ADD CONSTRAINT "conversations_users_admin" FOREIGN KEY ("admin_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, ADD CONSTRAINT "conversations_users_archived_by" FOREIGN KEY ("archived_by_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, ADD CONSTRAINT "conversations_users_assignee" FOREIGN KEY ("assignee_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE SET NULL;
-- modify "customer_links" table
ALTER TABLE "customer_links" ADD CONSTRAINT "customer_links_contacts_link" FOREIGN KEY ("contact_id") REFERENCES "contacts" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, ADD CONSTRAINT "customer_links_customers_customer" FOREIGN KEY ("customer_id") REFERENCES "customers" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, ADD CONSTRAINT "customer_links_users_linked_by" FOREIGN KEY ("linked_by_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE SET NULL;
-- modify "documents" table
ALTER TABLE "documents" ADD CONSTRAINT "documents_conversations_session" FOREIGN KEY ("session_id") REFERENCES "conversations" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, ADD CONSTRAINT "documents_customers_customer" FOREIGN KEY ("customer_id") REFERENCES "customers" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, ADD CONSTRAINT "documents_users_created_by" FOREIGN KEY ("created_by_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE SET NULL;
-- modify "members" table
ALTER TABLE "members" ADD CONSTRAINT "members_conversations_members" FOREIGN KEY ("conversation_id") REFERENCES "conversations" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, ADD CONSTRAINT "members_users_memberships" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION;
-- modify "messages" table
ALTER TABLE "messages" ADD CONSTRAINT "messages_conversations_conversation" FOREIGN KEY ("conversation_id") REFERENCES "conversations" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, ADD CONSTRAINT "messages_users_sender" FOREIGN KEY ("sender_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE SET NULL;
-- modify "outboxes" table
ALTER TABLE "outboxes" ADD CONSTRAINT "outboxes_messages_message" FOREIGN KEY ("message_id") REFERENCES "messages" ("id") ON UPDATE NO ACTION ON DELETE CASCADE;
-- modify "tokens" table
ALTER TABLE "tokens" ADD CONSTRAINT "tokens_conversations_conversation" FOREIGN KEY ("conversation_id") REFERENCES "conversations" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, ADD CONSTRAINT "tokens_users_tokens" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE SET NULL;
-- modify "users" table
ALTER TABLE "users" ADD CONSTRAINT "users_messages_mentions" FOREIGN KEY ("message_mentions") REFERENCES "messages" ("id") ON UPDATE NO ACTION ON DELETE SET NULL;
-- modify "channel_agents" table
ALTER TABLE "channel_agents" ADD CONSTRAINT "channel_agents_channel_id" FOREIGN KEY ("channel_id") REFERENCES "channels" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, ADD CONSTRAINT "channel_agents_user_id" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE;

-- +goose Down
-- reverse: modify "channel_agents" table
ALTER TABLE "channel_agents" DROP CONSTRAINT "channel_agents_user_id", DROP CONSTRAINT "channel_agents_channel_id";
-- reverse: modify "users" table
ALTER TABLE "users" DROP CONSTRAINT "users_messages_mentions";
-- reverse: modify "tokens" table
ALTER TABLE "tokens" DROP CONSTRAINT "tokens_users_tokens", DROP CONSTRAINT "tokens_conversations_conversation";
-- reverse: modify "outboxes" table
ALTER TABLE "outboxes" DROP CONSTRAINT "outboxes_messages_message";
-- reverse: modify "messages" table
ALTER TABLE "messages" DROP CONSTRAINT "messages_users_sender", DROP CONSTRAINT "messages_conversations_conversation";
-- reverse: modify "members" table
ALTER TABLE "members" DROP CONSTRAINT "members_users_memberships", DROP CONSTRAINT "members_conversations_members";
-- reverse: modify "documents" table
ALTER TABLE "documents" DROP CONSTRAINT "documents_users_created_by", DROP CONSTRAINT "documents_customers_customer", DROP CONSTRAINT "documents_conversations_session";
-- reverse: modify "customer_links" table
ALTER TABLE "customer_links" DROP CONSTRAINT "customer_links_users_linked_by", DROP CONSTRAINT "customer_links_customers_customer", DROP CONSTRAINT "customer_links_contacts_link";
-- reverse: modify "conversations" table
ALTER TABLE "conversations" DROP CONSTRAINT "conversations_users_assignee", DROP CONSTRAINT "conversations_users_archived_by", DROP CONSTRAINT "conversations_users_admin", DROP CONSTRAINT "conversations_messages_last_message", DROP CONSTRAINT "conversations_contacts_sessions", DROP CONSTRAINT "conversations_channels_sessions";
-- reverse: modify "contacts" table
ALTER TABLE "contacts" DROP CONSTRAINT "contacts_channels_contacts";
-- reverse: modify "canned_responses" table
ALTER TABLE "canned_responses" DROP CONSTRAINT "canned_responses_users_canned_responses";
-- reverse: modify "calls" table
ALTER TABLE "calls" DROP CONSTRAINT "calls_users_started_by", DROP CONSTRAINT "calls_conversations_conversation";
-- reverse: modify "attachments" table
ALTER TABLE "attachments" DROP CONSTRAINT "attachments_messages_message", DROP CONSTRAINT "attachments_conversations_conversation";
-- reverse: create "channel_agents" table
DROP TABLE "channel_agents";
-- reverse: create index "users_extension_key" to table: "users"
DROP INDEX "users_extension_key";
-- reverse: create index "users_email_key" to table: "users"
DROP INDEX "users_email_key";
-- reverse: create index "user_name" to table: "users"
DROP INDEX "user_name";
-- reverse: create "users" table
DROP TABLE "users";
-- reverse: create index "tokens_hash_key" to table: "tokens"
DROP INDEX "tokens_hash_key";
-- reverse: create index "token_user_id" to table: "tokens"
DROP INDEX "token_user_id";
-- reverse: create "tokens" table
DROP TABLE "tokens";
-- reverse: create index "settings_key_key" to table: "settings"
DROP INDEX "settings_key_key";
-- reverse: create "settings" table
DROP TABLE "settings";
-- reverse: create index "outbox_state_next_attempt_at" to table: "outboxes"
DROP INDEX "outbox_state_next_attempt_at";
-- reverse: create "outboxes" table
DROP TABLE "outboxes";
-- reverse: create index "messages_reply_to_id_key" to table: "messages"
DROP INDEX "messages_reply_to_id_key";
-- reverse: create index "message_created_at" to table: "messages"
DROP INDEX "message_created_at";
-- reverse: create index "message_conversation_id_seq" to table: "messages"
DROP INDEX "message_conversation_id_seq";
-- reverse: create index "message_conversation_id_author_key_client_message_id" to table: "messages"
DROP INDEX "message_conversation_id_author_key_client_message_id";
-- reverse: create index "message_channel_id_provider_message_id" to table: "messages"
DROP INDEX "message_channel_id_provider_message_id";
-- reverse: create "messages" table
DROP TABLE "messages";
-- reverse: create index "member_user_id_archived_pinned_activity_at" to table: "members"
DROP INDEX "member_user_id_archived_pinned_activity_at";
-- reverse: create index "member_conversation_id_user_id" to table: "members"
DROP INDEX "member_conversation_id_user_id";
-- reverse: create "members" table
DROP TABLE "members";
-- reverse: create index "event_xid_id" to table: "events"
DROP INDEX "event_xid_id";
-- reverse: create index "event_created_at" to table: "events"
DROP INDEX "event_created_at";
-- reverse: create "events" table
DROP TABLE "events";
-- reverse: create index "document_kind_seq" to table: "documents"
DROP INDEX "document_kind_seq";
-- reverse: create "documents" table
DROP TABLE "documents";
-- reverse: create index "customer_links_contact_id_key" to table: "customer_links"
DROP INDEX "customer_links_contact_id_key";
-- reverse: create "customer_links" table
DROP TABLE "customer_links";
-- reverse: create "customers" table
DROP TABLE "customers";
-- reverse: create index "conversation_kind_status_last_message_at" to table: "conversations"
DROP INDEX "conversation_kind_status_last_message_at";
-- reverse: create index "conversation_direct_key" to table: "conversations"
DROP INDEX "conversation_direct_key";
-- reverse: create index "conversation_channel_id_status_last_message_at" to table: "conversations"
DROP INDEX "conversation_channel_id_status_last_message_at";
-- reverse: create index "conversation_channel_id_contact_id" to table: "conversations"
DROP INDEX "conversation_channel_id_contact_id";
-- reverse: create "conversations" table
DROP TABLE "conversations";
-- reverse: create index "contact_channel_id_external_id" to table: "contacts"
DROP INDEX "contact_channel_id_external_id";
-- reverse: create "contacts" table
DROP TABLE "contacts";
-- reverse: create index "channel_kind_external_id" to table: "channels"
DROP INDEX "channel_kind_external_id";
-- reverse: create "channels" table
DROP TABLE "channels";
-- reverse: create index "cannedresponse_shared" to table: "canned_responses"
DROP INDEX "cannedresponse_shared";
-- reverse: create index "cannedresponse_owner_id" to table: "canned_responses"
DROP INDEX "cannedresponse_owner_id";
-- reverse: create "canned_responses" table
DROP TABLE "canned_responses";
-- reverse: create "calls" table
DROP TABLE "calls";
-- reverse: create index "attachment_message_id_created_at" to table: "attachments"
DROP INDEX "attachment_message_id_created_at";
-- reverse: create index "attachment_message_id" to table: "attachments"
DROP INDEX "attachment_message_id";
-- reverse: create index "attachment_expired_expires_at" to table: "attachments"
DROP INDEX "attachment_expired_expires_at";
-- reverse: create "attachments" table
DROP TABLE "attachments";
