-- Run once by the postgres image on an empty volume: the warehouse lives beside the Dagster
-- instance database, owned by the same role.
CREATE DATABASE warehouse OWNER dagster;
