package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
)

// cmdPatterns is `mash patterns show` (the pattern alert rules in force, as
// JSON) and `mash patterns set [--file f]` (replace them with JSON in that
// form; its version must be the version replaced).
func cmdPatterns(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "show" && args[0] != "set") {
		fmt.Fprint(stderr, "usage: mash patterns show | mash patterns set [--file rules.json]\n")
		return errUsage
	}
	in := stdin
	if args[0] == "set" {
		fs := newFlags("patterns set", stderr)
		file := fs.String("file", "-", "rules JSON file (- for stdin)")
		if err := fs.Parse(args[1:]); err != nil {
			return errUsage
		}
		if *file != "-" {
			f, err := os.Open(*file)
			if err != nil {
				return err
			}
			defer f.Close()
			in = f
		}
	}
	db, err := openDB(ctx, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	if args[0] == "show" {
		rs, err := db.PatternRules(ctx, store.System)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rs)
	}
	raw, err := io.ReadAll(io.LimitReader(in, 1<<20))
	if err != nil {
		return err
	}
	rs, err := mash.ParsePatternRules(raw)
	if err != nil {
		return fmt.Errorf("patterns: %w", userError(err))
	}
	saved, err := db.SetPatternRules(ctx, store.System, rs)
	if err != nil {
		return userError(err)
	}
	fmt.Fprintf(stdout, "pattern rules saved: version %d, %d rules\n", saved.Version, len(saved.Rules))
	return nil
}
