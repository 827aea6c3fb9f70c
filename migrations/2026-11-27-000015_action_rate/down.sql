DROP TABLE action_rate_windows;
