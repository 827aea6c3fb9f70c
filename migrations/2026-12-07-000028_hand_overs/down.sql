DROP TABLE hand_over_items;
DROP TABLE hand_overs;
