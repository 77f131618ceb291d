-- pgmigrate: no-transaction
REINDEX INDEX CONCURRENTLY public.accounts_email;
