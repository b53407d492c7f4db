// Command mash runs and administers an OpenMASH hub.
//
//	mash demo                         start a hub on a fresh demo database
//	mash serve [--addr]               start the hub
//	mash migrate                      bring the database schema up to date
//	mash agency add --name --kind     add a partner agency
//	mash user add --email --name --agency --role   (password on stdin)
//	mash token create --email         print a new API token for a user
//	mash policy show                  print the RAG policy and calendar
//	mash policy set [--file F]        replace them (JSON, as policy show prints)
//	mash bench intake                 measure intake throughput
//	mash audit checkpoint             verify the audit log and sign a checkpoint
//	mash audit verify [--key F.pub]   check the chain and every checkpoint
//	mash sar export --person ID       subject access: everything held about a person
//	mash retention run [--apply]      anonymise closed contacts past retention
//
// The database is MASH_DATABASE_URL: a postgres:// URL, or a SQLite file
// (default data/mash.db).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	_ "time/tzdata" // Europe/London on machines without a zoneinfo database

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "mash:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

const usage = `usage: mash <command> [flags]

commands:
  demo                              start a hub on a fresh demo database (http://127.0.0.1:8080)
  serve [--addr 127.0.0.1:8080]     start the hub
  migrate                           bring the database schema up to date
  agency add --name N --kind K      add a partner agency
  user add --email E --name N --agency A --role R   add a user (password on stdin)
  user totp --email E [--reset]     enrol a user for one-time codes (prints the secret once)
  user disable|enable --email E     stop or restore a user's sign-in (disabling ends their tokens)
  user reset-password --email E     set a new password (on stdin); one-time codes are kept
  token create --email E [--ttl 720h]               print a new API token for a user
  token revoke --email E            end every token of a user
  totp code [--secret S]            print the current one-time code for a secret (stdin by default)
  policy show                       print the RAG policy and working calendar (JSON)
  policy set [--file F]             replace the policy with edited JSON (stdin by default)
  patterns show                     print the pattern alert rules (JSON)
  patterns set [--file F]           replace them with edited JSON (stdin by default; version as shown)
  sar export --person ID [--out F]  everything held about a person, flagged for review (subject access)
  retention run [--apply] [--policy F]             list (or anonymise) closed contacts past retention
  retention hold|release --contact REF --reason R  place or lift a legal hold
  bench intake [--contacts N] [--concurrency C]     measure intake over HTTP and the raw store
  bench gen-people --n N --out F [--seed S] [--dup-rate R] [--truth T] [--twins-heavy]   synthetic people with ground truth
  bench match [--persons N] [--queries Q] [--db URL]   load N synthetic people, time online matching against them
  bench gen-contacts --contacts N --db URL [--years Y] [--seed S] [--append]   fill a database with N synthetic contacts over Y years
  bench measures --db URL [--runs R] [--months M] [--period P]   time every measure (p50/p95) on a filled database
  persons import --agency A --in F [--clusters C]   load an agency's index: link each record to a person (or, with
                                    clusters from match dedupe, load each cluster as one person)
  persons model install --model M.json | model show   install or print the hub's identity model
  match train --in F --model M.json                 estimate a record-linkage model from records (u by sampling, m by EM)
  match dedupe --in F --out clusters.csv [--model M.json]   cluster records into people (record_id, cluster_id)
  match link --left A --right B --out pairs.csv [--model M.json] [--one-to-one] [--explain]   pairs across two files (left_id, right_id, score)
  match eval --in F [--truth T] | --left A --right B   pairwise precision, recall and F1 against ground truth
                                    (match: --format standard|febrl|splink, default from the header; --threshold P)
  export returns --year 2026 --out DIR [--reason R]   statutory returns for a reporting year (2026 = 2025-26, 1 April 2025
                                    to 31 March 2026): CIN census-shaped contacts and referrals, SAC counts, manifest
  audit checkpoint [--checkpoint-dir D]             verify the audit log and sign a checkpoint of it
  audit verify [--checkpoint-dir D] [--key F.pub]   check the audit chain and every checkpoint

environment:
  MASH_DATABASE_URL   postgres://… or a SQLite file path (default data/mash.db)
  MASH_AUDIT_CHECKPOINT_DIR   audit checkpoints (default data/audit-checkpoints)
  MASH_AUDIT_KEY_FILE         checkpoint signing key, made on first use (default data/audit-signing.key; verifier beside it, .pub)
  MASH_SESSION_IDLE           browser sessions end after this long unused (default 15m)
  MASH_SESSION_LIFETIME       and after this long in all (default 12h)

single sign-on (OpenID Connect, e.g. Microsoft Entra ID; serve only, all but the claim name required to enable it):
  MASH_OIDC_ISSUER            the provider's issuer URL
  MASH_OIDC_CLIENT_ID, MASH_OIDC_CLIENT_SECRET   this hub's registration with the provider
  MASH_OIDC_REDIRECT_URL      this hub's callback, e.g. https://mash.example/sign-in/sso/callback
  MASH_OIDC_GROUPS_CLAIM      the ID token claim listing groups (default groups)
  MASH_OIDC_GROUP_MAP         JSON: {"<group id>": {"agency": "<name or id>", "role": "<role>"}}
`

// run is the whole program, with its environment passed in so tests can run it.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	cmd, rest := args[0], args[1:]
	sub := ""
	if len(rest) > 0 {
		sub = rest[0]
	}
	switch {
	case cmd == "serve":
		return cmdServe(ctx, rest, getenv, stdout, stderr)
	case cmd == "demo":
		return cmdDemo(ctx, rest, getenv, stdout, stderr)
	case cmd == "migrate":
		db, err := openDB(ctx, getenv)
		if err != nil {
			return err
		}
		defer db.Close()
		fmt.Fprintf(stdout, "database is up to date (%s)\n", db.Dialect())
		return nil
	case cmd == "agency" && sub == "add":
		return cmdAgencyAdd(ctx, rest[1:], getenv, stdout, stderr)
	case cmd == "user" && sub == "add":
		return cmdUserAdd(ctx, rest[1:], getenv, stdin, stdout, stderr)
	case cmd == "token" && sub == "create":
		return cmdTokenCreate(ctx, rest[1:], getenv, stdout, stderr)
	case cmd == "token" && sub == "revoke":
		return cmdTokenRevoke(ctx, rest[1:], getenv, stdout, stderr)
	case cmd == "user" && sub == "totp":
		return cmdUserTOTP(ctx, rest[1:], getenv, stdout, stderr)
	case cmd == "user" && sub == "disable":
		return cmdUserDisable(ctx, rest[1:], getenv, stdout, stderr)
	case cmd == "user" && sub == "enable":
		return cmdUserEnable(ctx, rest[1:], getenv, stdout, stderr)
	case cmd == "user" && sub == "reset-password":
		return cmdUserResetPassword(ctx, rest[1:], getenv, stdin, stdout, stderr)
	case cmd == "totp" && sub == "code":
		return cmdTOTPCode(rest[1:], stdin, stdout, stderr)
	case cmd == "policy" && sub == "show":
		return cmdPolicyShow(ctx, getenv, stdout)
	case cmd == "policy" && sub == "set":
		return cmdPolicySet(ctx, rest[1:], getenv, stdin, stdout, stderr)
	case cmd == "patterns":
		return cmdPatterns(ctx, rest, getenv, stdin, stdout, stderr)
	case cmd == "sar" && sub == "export":
		return cmdSARExport(ctx, rest[1:], getenv, stdout, stderr)
	case cmd == "retention" && (sub == "run" || sub == "hold" || sub == "release"):
		return cmdRetention(ctx, sub, rest[1:], getenv, stdout, stderr)
	case cmd == "bench" && sub == "gen-people":
		return cmdGenPeople(ctx, rest[1:], stdout, stderr)
	case cmd == "bench" && sub == "intake":
		return cmdBenchIntake(ctx, rest[1:], getenv, stdout, stderr)
	case cmd == "bench" && sub == "match":
		return cmdBenchMatch(ctx, rest[1:], getenv, stdout, stderr)
	case cmd == "bench" && sub == "gen-contacts":
		return cmdGenContacts(ctx, rest[1:], getenv, stdout, stderr)
	case cmd == "bench" && sub == "measures":
		return cmdBenchMeasures(ctx, rest[1:], getenv, stdout, stderr)
	case cmd == "match":
		return cmdMatch(ctx, rest, getenv, stdin, stdout, stderr)
	case cmd == "persons":
		return cmdPersons(ctx, rest, getenv, stdout, stderr)
	case cmd == "export":
		return cmdExport(ctx, rest, getenv, stdout, stderr)
	case cmd == "audit":
		return cmdAudit(ctx, rest, getenv, stdout, stderr)
	case cmd == "help" || cmd == "-h" || cmd == "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("%w: unknown command %q", errUsage, cmd)
}

// databaseURL is MASH_DATABASE_URL or the default SQLite file.
func databaseURL(getenv func(string) string) string {
	if u := getenv("MASH_DATABASE_URL"); u != "" {
		return u
	}
	return store.DefaultURL
}

// openDB opens and migrates the configured database.
func openDB(ctx context.Context, getenv func(string) string) (*store.DB, error) {
	db, err := store.Open(ctx, databaseURL(getenv), store.Options{AllowUnsafe: getenv("MASH_UNSAFE_ALLOW_DATA_LOSS") == "yes-for-durability-tests"})
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// newFlags makes a flag set that reports errors instead of exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// userError renders a hub error for the terminal, with its field problems.
func userError(err error) error {
	if e, ok := errors.AsType[*mash.Error](err); ok && e.Kind != mash.KindInternal {
		return errors.New(e.Error())
	}
	return err
}
