-- The sizes and dead rows of a table, for the `tables` report. On Citus `migrate --citus` replaces it
-- with one that adds up the shards (the coordinator's own table is an empty shell there).
CREATE FUNCTION crm_table_sizes(p_table regclass, OUT heap_bytes bigint, OUT index_bytes bigint, OUT total_bytes bigint,
                                OUT dead_rows bigint)
LANGUAGE sql STABLE
AS $$
    SELECT pg_relation_size(p_table), pg_indexes_size(p_table), pg_total_relation_size(p_table),
           coalesce((SELECT n_dead_tup FROM pg_stat_user_tables WHERE relid = p_table), 0)
$$;
