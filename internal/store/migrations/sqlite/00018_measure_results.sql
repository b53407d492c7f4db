-- +goose Up
-- Stored results of measures over long ranges (see measure_results.go):
-- pre-aggregation, because a year of trends over twenty years of contacts
-- costs more than the dashboards' time allows. key names the measure and
-- query (query, as JSON, is what the refresh job recomputes); result is the
-- mash.MeasureResult as JSON, worked out at as_at; read_at is when a page
-- or the API last used it, so only results someone reads are kept fresh.
-- They hold counts and times, never a person.
CREATE TABLE measure_results (
    key TEXT PRIMARY KEY,
    measure TEXT NOT NULL,
    query TEXT NOT NULL,
    result TEXT NOT NULL,
    as_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP NOT NULL
);
CREATE INDEX measure_results_read ON measure_results (read_at);

-- +goose Down
DROP TABLE measure_results;
