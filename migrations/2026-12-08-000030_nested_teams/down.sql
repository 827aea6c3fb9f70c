ALTER TABLE pools DROP COLUMN member_sub_teams;
DROP TRIGGER teams_tree_rebuild ON teams;
DROP FUNCTION teams_tree_rebuild();
DROP TRIGGER teams_tree_no_cycle ON teams;
DROP FUNCTION teams_tree_no_cycle();
DROP TABLE team_tree;
ALTER TABLE teams DROP CONSTRAINT teams_not_own_parent;
ALTER TABLE teams DROP COLUMN parent_id;
