package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"log/slog"
	"time"

	"openmash.org/mash/internal/audit"
	"openmash.org/mash/internal/store"
)

// Where checkpoints and the signing key live unless the environment says.
const (
	defaultCheckpointDir = "data/audit-checkpoints"
	defaultAuditKeyFile  = "data/audit-signing.key"
)

func checkpointDir(getenv func(string) string) string {
	if d := getenv("MASH_AUDIT_CHECKPOINT_DIR"); d != "" {
		return d
	}
	return defaultCheckpointDir
}

func auditKeyFile(getenv func(string) string) string {
	if f := getenv("MASH_AUDIT_KEY_FILE"); f != "" {
		return f
	}
	return defaultAuditKeyFile
}

// cmdAudit runs `mash audit checkpoint` and `mash audit verify`.
func cmdAudit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "checkpoint":
		return cmdAuditCheckpoint(ctx, args, getenv, stdout, stderr)
	case "verify":
		return cmdAuditVerify(ctx, args, getenv, stdout, stderr)
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("%w: audit needs checkpoint or verify", errUsage)
}

// cmdAuditCheckpoint verifies the audit log and signs a checkpoint of it,
// creating the signing key on first use.
func cmdAuditCheckpoint(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("audit checkpoint", stderr)
	dir := fs.String("checkpoint-dir", checkpointDir(getenv), "directory of checkpoint files (MASH_AUDIT_CHECKPOINT_DIR)")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return errUsage
	}
	keyFile := auditKeyFile(getenv)
	key, err := audit.LoadOrCreateKey(keyFile)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	cp, written, err := audit.WriteCheckpoint(ctx, db, *dir, key)
	if err != nil {
		return err
	}
	if !written {
		fmt.Fprintf(stdout, "no new audit events since checkpoint %s (%d events)\n", cp.File, cp.Size)
		return nil
	}
	fmt.Fprintf(stdout, "checkpoint %s: %d events, root %s\n", cp.File, cp.Size, base64.StdEncoding.EncodeToString(cp.Root[:]))
	fmt.Fprintf(stderr, "signed with %s; keep a copy of its verifier key %s, and of the checkpoints, away from this machine\n",
		keyFile, audit.VerifierFile(keyFile))
	return nil
}

// cmdAuditVerify walks the whole audit log and checks it against every
// checkpoint; any problem is an error.
func cmdAuditVerify(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("audit verify", stderr)
	dir := fs.String("checkpoint-dir", checkpointDir(getenv), "directory of checkpoint files (MASH_AUDIT_CHECKPOINT_DIR)")
	keyFile := fs.String("key", audit.VerifierFile(auditKeyFile(getenv)), "verifier key the checkpoints must be signed with")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return errUsage
	}
	v, err := audit.LoadVerifier(*keyFile)
	if errors.Is(err, iofs.ErrNotExist) {
		return fmt.Errorf("%w (mash audit checkpoint makes the key; or pass --key)", err)
	}
	if err != nil {
		return err
	}
	cps, err := audit.ReadCheckpoints(*dir, v)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := audit.Verify(ctx, db, cps)
	fmt.Fprintf(stderr, "read %d audit events in %.2fs (%.0f events/s)\n", rep.Events, rep.Elapsed.Seconds(), rep.EventsPerSecond())
	if _, ok := errors.AsType[*audit.Problem](err); ok {
		return fmt.Errorf("audit log verification FAILED: %w", err)
	}
	if err != nil {
		return err
	}
	if len(cps) == 0 {
		return fmt.Errorf("audit log verification FAILED: no checkpoint in %s: the chain is intact through seq %d, but without a checkpoint the removal of the newest events, or a rewrite of the whole chain, goes unseen (run mash audit checkpoint)",
			*dir, rep.LastSeq)
	}
	latest := rep.Checked[len(rep.Checked)-1]
	fmt.Fprintf(stdout, "audit log verified: events 1..%d; chain of %d, root %s; checkpoints matched: %d, the latest %s (%d events)\n",
		rep.LastSeq, rep.TreeSize, base64.StdEncoding.EncodeToString(rep.Root[:]), len(rep.Checked), latest.File, latest.Size)
	if rep.Unchained > 0 {
		fmt.Fprintf(stdout, "not covered: events 1..%d, written before the chain existed\n", rep.Unchained)
	}
	return nil
}

// checkpointEvery is how often a serving hub signs a checkpoint of its audit
// log: events after the last checkpoint are the ones a rewrite could drop
// unnoticed, so this bounds that window.
const checkpointEvery = 10 * time.Minute

// keepCheckpointing signs a checkpoint now and then every checkpointEvery
// until ctx ends. Failures are logged loudly but do not stop the hub: the
// log itself is intact, only its external anchor is late.
func keepCheckpointing(ctx context.Context, db *store.DB, dir, keyFile string, stderr io.Writer) {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	key, err := audit.LoadOrCreateKey(keyFile)
	if err != nil {
		log.Error("audit checkpoints are OFF: cannot load the signing key", "file", keyFile, "err", err)
		return
	}
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		if _, _, err := audit.WriteCheckpoint(ctx, db, dir, key); err != nil && ctx.Err() == nil {
			log.Error("audit checkpoint failed", "dir", dir, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
