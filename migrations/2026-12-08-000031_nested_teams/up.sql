-- Departments: a team may sit under a parent team. A manager answers for their teams and every
-- team below them (本部门及下属部门).
ALTER TABLE teams ADD COLUMN parent_id uuid REFERENCES teams (id);
ALTER TABLE teams ADD CONSTRAINT teams_not_own_parent CHECK (parent_id IS DISTINCT FROM id);
CREATE INDEX teams_parent_idx ON teams (parent_id) WHERE parent_id IS NOT NULL;

-- The tree's closure: one row per team and each of its ancestors, itself included (depth 0).
-- Every scope question ("is this person in a team below the ones I manage?", "is this team
-- below a pool's member team?") is then one join, not a walk. Kept by the statement trigger
-- below in the transaction that changes the tree, so a change takes effect at its commit.
CREATE TABLE team_tree (
    ancestor_id uuid    NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    team_id     uuid    NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    depth       integer NOT NULL CHECK (depth >= 0),
    PRIMARY KEY (ancestor_id, team_id)
);
CREATE INDEX team_tree_team_idx ON team_tree (team_id, depth) INCLUDE (ancestor_id);

-- Every statement that changes the tree first takes one transaction-level advisory lock, before
-- it locks any team row (a BEFORE statement trigger): changes of the tree take turns, and none
-- waits for the lock while holding a row another one needs (lock order: this lock, then teams).
CREATE FUNCTION teams_tree_lock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('leadpool.team_tree'));
    RETURN NULL;
END $$;
CREATE TRIGGER teams_tree_lock BEFORE INSERT OR DELETE OR UPDATE OF parent_id ON teams
    FOR EACH STATEMENT EXECUTE FUNCTION teams_tree_lock();

-- No cycles. Under that lock, two changes that would together make a cycle (A under B, B under
-- A) take turns and the second sees the first (each statement of a READ COMMITTED function reads
-- anew) and is refused.
CREATE FUNCTION teams_tree_no_cycle() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.parent_id IS NOT NULL AND EXISTS (
        WITH RECURSIVE up (id, depth) AS (
            SELECT NEW.parent_id, 1
            UNION ALL
            SELECT t.parent_id, up.depth + 1
              FROM up JOIN teams t ON t.id = up.id
             WHERE t.parent_id IS NOT NULL AND up.id <> NEW.id AND up.depth < 10000)
        SELECT 1 FROM up WHERE up.id = NEW.id)
    THEN
        RAISE EXCEPTION 'team % cannot sit below itself', NEW.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'teams_no_cycle';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER teams_tree_no_cycle AFTER INSERT OR UPDATE OF parent_id ON teams
    FOR EACH ROW EXECUTE FUNCTION teams_tree_no_cycle();

-- Rebuilt whole after any change of the tree (teams are few: hundreds at most).
CREATE FUNCTION teams_tree_rebuild() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM team_tree;
    INSERT INTO team_tree (ancestor_id, team_id, depth)
    WITH RECURSIVE down (ancestor_id, team_id, depth) AS (
        SELECT id, id, 0 FROM teams
        UNION ALL
        SELECT down.ancestor_id, t.id, down.depth + 1
          FROM down JOIN teams t ON t.parent_id = down.team_id
         WHERE down.depth < 10000)
    SELECT ancestor_id, team_id, depth FROM down;
    RETURN NULL;
END $$;
CREATE TRIGGER teams_tree_rebuild AFTER INSERT OR DELETE OR UPDATE OF parent_id ON teams
    FOR EACH STATEMENT EXECUTE FUNCTION teams_tree_rebuild();

INSERT INTO team_tree (ancestor_id, team_id, depth) SELECT id, id, 0 FROM teams;

-- Pools whose members include teams: whether the teams below a member team are members too
-- (default: yes).
ALTER TABLE pools ADD COLUMN member_sub_teams boolean NOT NULL DEFAULT true;
