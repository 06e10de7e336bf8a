-- The first organization's default only moved the rows that existed: from here every insert
-- names its organization, and one that forgets is refused instead of landing in the first.
ALTER TABLE users ALTER COLUMN organization_id DROP DEFAULT;
ALTER TABLE stores ALTER COLUMN organization_id DROP DEFAULT;
ALTER TABLE api_tokens ALTER COLUMN organization_id DROP DEFAULT;
ALTER TABLE audit_log ALTER COLUMN organization_id DROP DEFAULT;
