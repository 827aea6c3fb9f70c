DROP INDEX leads_state_id_idx;
