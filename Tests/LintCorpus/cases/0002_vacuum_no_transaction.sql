-- pgmigrate: no-transaction
VACUUM (ANALYZE) public.orders;
