package main

import (
	"context"
	"errors"
	"io"
)

func cmdBenchIntake(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return errors.New("bench intake: not written yet")
}
