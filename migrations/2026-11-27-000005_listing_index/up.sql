-- Lead listings filter by state and page by id (newest first): this index lets a page at any
-- cursor depth start where the cursor points instead of scanning everything before it.
CREATE INDEX leads_state_id_idx ON leads (state, id);
