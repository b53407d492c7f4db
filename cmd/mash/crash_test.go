package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"openmash.org/mash/internal/store/storetest"
)

// The crash harness proves the hub never loses a contact it acknowledged. It
// builds the real binary, runs it as a subprocess and SIGKILLs it (and, when
// the test runs its own PostgreSQL server, every process of that server)
// repeatedly while clients create contacts. Each logical contact has its own
// Idempotency-Key, retried after any failure until it is acknowledged, so a
// retry across a crash must return the contact first created, never a second
// one. At the end a fresh hub must return every acknowledged contact.
// Unacknowledged contacts may be present or absent.
//
// SIGKILL ends processes, not the machine: data the database wrote to the
// kernel survives, so the harness proves the hub waits for the commit before
// it answers (and the store never acknowledges early, as PostgreSQL does
// with synchronous_commit=off), not that fsync reaches the disk.

const (
	crashClients = 8
	crashUnsafe  = "MASH_UNSAFE_ALLOW_DATA_LOSS=yes-for-durability-tests"
)

func TestCrashDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("crash harness: builds the binary and kills it repeatedly")
	}
	start := time.Now()
	bin := crashBuild(t)
	t.Cleanup(func() { t.Logf("crash harness: %s in all", time.Since(start).Round(100*time.Millisecond)) })

	t.Run("sqlite", func(t *testing.T) {
		r := crashRun(t, crashConfig{bin: bin, url: "file:" + filepath.Join(t.TempDir(), "mash.db"), rounds: 6})
		r.requireNoLoss(t)
	})
	t.Run("postgres", func(t *testing.T) {
		url := storetest.PostgresURL(t)
		if url == "" {
			t.Skip("MASH_TEST_POSTGRES_URL is not set")
		}
		r := crashRun(t, crashConfig{bin: bin, url: url, rounds: 6})
		r.requireNoLoss(t)
	})
	t.Run("postgres-server", func(t *testing.T) {
		pg := crashPostgres(t, "-c", "fsync=on", "-c", "synchronous_commit=on")
		r := crashRun(t, crashConfig{bin: bin, url: pg.url("mash"), pg: pg, rounds: 5})
		r.requireNoLoss(t)
	})
	t.Run("postgres-server-unsafe", func(t *testing.T) {
		// Commits are acknowledged before their WAL leaves PostgreSQL's
		// shared memory, and the WAL writer waits 10 s between writes of a
		// partly filled page: killing the server loses the latest commits.
		pg := crashPostgres(t, "-c", "fsync=on", "-c", "synchronous_commit=off", "-c", "wal_writer_delay=10000ms")
		r := crashRun(t, crashConfig{bin: bin, url: pg.url("mash"), pg: pg, rounds: 5, unsafe: true, killAfterAck: true})
		if r.lost == 0 {
			t.Fatalf("the harness saw no losses with synchronous_commit=off: it cannot be trusted to see them")
		}
	})
}

// crashBuild builds the mash binary for this test.
func crashBuild(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mash")
	if out, err := exec.Command(goTool(), "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(os.Getenv("GOROOT"), "bin", "go")
}

type crashConfig struct {
	bin, url string
	pg       *crashPG // the test's own PostgreSQL server, killed with the hub
	rounds   int
	unsafe   bool // start the hub on unsafe durability settings
	// killAfterAck kills as soon as a write is acknowledged after the
	// round's random delay (every round); otherwise only odd rounds do.
	killAfterAck bool
}

type crashAck struct {
	id, ref string
	status  int
}

// crashHarness is one run: a database, a hub address, and what the clients
// sent and were told.
type crashHarness struct {
	t      *testing.T
	cfg    crashConfig
	env    []string
	addr   string
	token  string
	run    string // makes this run's idempotency keys unique
	client *http.Client

	hub     *exec.Cmd
	hubDone chan struct{}
	hubLog  *crashLog

	mu      sync.Mutex
	seq     int
	sent    map[string]bool
	acked   map[string]crashAck
	pending []string // keys sent but not acknowledged, retried next round
	errs    []error  // protocol or verification errors: fail the run
	retries int
	ackc    chan struct{}

	// The report.
	kills, replayed, present, lost, unackedPresent int
}

// crashRun sets up a database, runs the rounds and verifies the result. It
// fails the test on any verification error or duplicate; losses are left
// to the caller to judge.
func crashRun(t *testing.T, cfg crashConfig) *crashHarness {
	t.Helper()
	started := time.Now()
	h := &crashHarness{t: t, cfg: cfg, addr: crashFreeAddr(t), run: strings.ToLower(rand.Text()[:8]),
		sent: map[string]bool{}, acked: map[string]crashAck{}, ackc: make(chan struct{}, 1),
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: crashClients * 2}}}
	// The hub's audit checkpoints and key go with this run, not into the
	// source tree.
	scratch := t.TempDir()
	h.env = append(os.Environ(), "MASH_DATABASE_URL="+cfg.url, "MASH_ADDR=",
		"MASH_AUDIT_CHECKPOINT_DIR="+filepath.Join(scratch, "checkpoints"), "MASH_AUDIT_KEY_FILE="+filepath.Join(scratch, "audit.key"))
	if cfg.unsafe {
		h.env = append(h.env, crashUnsafe)
	}
	t.Cleanup(func() { h.killHub() })
	if cfg.pg != nil {
		cfg.pg.start()
	}
	h.setup()

	for round := range cfg.rounds {
		if cfg.pg != nil && round > 0 {
			cfg.pg.start()
		}
		h.round(round)
		if err := h.firstErr(); err != nil {
			t.Fatalf("round %d: %v\nhub log:\n%s", round, err, h.hubLog)
		}
	}

	if cfg.pg != nil {
		cfg.pg.start()
	}
	h.startHub()
	h.verify()
	h.killHub()
	t.Logf("%d rounds, %d kills of the hub%s: %d keys sent, %d acknowledged (%d by a retry's 200), %d present, %d LOST, %d of %d unacknowledged present; %d failed attempts retried; no duplicates (%s)",
		cfg.rounds, h.kills, map[bool]string{true: " and PostgreSQL", false: ""}[cfg.pg != nil],
		len(h.sent), len(h.acked), h.replayed, h.present, h.lost, h.unackedPresent, len(h.sent)-len(h.acked),
		h.retries, time.Since(started).Round(100*time.Millisecond))
	return h
}

// round starts the hub, runs the clients for 200–800 ms (then, on odd
// rounds or with killAfterAck, until the next acknowledgement) and kills the
// hub, and PostgreSQL first if the test runs it.
func (h *crashHarness) round(round int) {
	h.startHub()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
		h.client.CloseIdleConnections()
	}()
	for i := range crashClients {
		wg.Go(func() { h.clientLoop(ctx, i) })
	}
	time.Sleep(time.Duration(200+mrand.IntN(600)) * time.Millisecond)
	if h.cfg.killAfterAck || round%2 == 1 {
		select { // wait for a fresh acknowledgement, so the kill follows it closely
		case <-h.ackc:
		default:
		}
		select {
		case <-h.ackc:
		case <-time.After(3 * time.Second):
		}
	}
	if h.cfg.pg != nil {
		h.cfg.pg.kill()
	}
	h.killHub()
	h.kills++
}

func (h *crashHarness) requireNoLoss(t *testing.T) {
	t.Helper()
	if h.lost > 0 {
		t.Fatalf("%d acknowledged contacts were lost", h.lost)
	}
	if len(h.acked) == 0 {
		t.Fatal("no contact was acknowledged: the harness tested nothing")
	}
}

func (h *crashHarness) fail(err error) {
	h.mu.Lock()
	h.errs = append(h.errs, err)
	h.mu.Unlock()
}

func (h *crashHarness) firstErr() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.errs) == 0 {
		return nil
	}
	return fmt.Errorf("%d errors, first: %w", len(h.errs), h.errs[0])
}

// setup adds an agency, a screener and a token with the binary's own
// commands.
func (h *crashHarness) setup() {
	h.t.Helper()
	h.mash("", "agency", "add", "--name", "Crash Test Police", "--kind", "police")
	h.mash("crash-test-password\n", "user", "add", "--email", "crash@police.example", "--name", "Crash Tester",
		"--agency", "Crash Test Police", "--role", "screener")
	h.token = strings.TrimSpace(h.mash("", "token", "create", "--email", "crash@police.example"))
	if h.token == "" {
		h.t.Fatal("token create printed no token")
	}
	if h.cfg.pg != nil {
		// Make the set-up durable even when commits are asynchronous.
		h.cfg.pg.exec("CHECKPOINT")
	}
}

func (h *crashHarness) mash(stdin string, args ...string) string {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.cfg.bin, args...)
	cmd.Env = h.env
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		h.t.Fatalf("mash %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// startHub starts `mash serve` and waits until /healthz answers.
func (h *crashHarness) startHub() {
	h.t.Helper()
	h.hubLog = &crashLog{}
	cmd := exec.Command(h.cfg.bin, "serve", "--addr", h.addr)
	cmd.Env = h.env
	cmd.Stdout, cmd.Stderr = h.hubLog, h.hubLog
	if err := cmd.Start(); err != nil {
		h.t.Fatalf("start hub: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	h.hub, h.hubDone = cmd, done
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-done:
			h.t.Fatalf("the hub exited while starting:\n%s", h.hubLog)
		default:
		}
		resp, err := h.client.Get("http://" + h.addr + "/healthz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			h.killHub()
			h.t.Fatalf("the hub did not become healthy in 30 s (last error %v):\n%s", err, h.hubLog)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (h *crashHarness) killHub() {
	if h.hub == nil {
		return
	}
	h.hub.Process.Signal(syscall.SIGKILL)
	<-h.hubDone
	h.hub = nil
}

// nextKey is a pending key left from an earlier round, or a new one.
func (h *crashHarness) nextKey() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if n := len(h.pending); n > 0 {
		k := h.pending[n-1]
		h.pending = h.pending[:n-1]
		return k
	}
	h.seq++
	return fmt.Sprintf("crash-%s-%06d", h.run, h.seq)
}

// clientLoop creates contacts until ctx ends, retrying each key until it is
// acknowledged. A key still unacknowledged at the end goes back to pending.
func (h *crashHarness) clientLoop(ctx context.Context, client int) {
	for ctx.Err() == nil {
		key := h.nextKey()
		for {
			if ctx.Err() != nil {
				h.mu.Lock()
				h.pending = append(h.pending, key)
				h.mu.Unlock()
				return
			}
			h.mu.Lock()
			first := !h.sent[key]
			h.sent[key] = true
			h.mu.Unlock()
			status, ack, err := h.post(ctx, key)
			if err == nil {
				if status == http.StatusOK && first {
					h.fail(fmt.Errorf("client %d: key %s: 200 on its first use", client, key))
				}
				h.mu.Lock()
				h.acked[key] = ack
				if status == http.StatusOK {
					h.replayed++
				}
				h.mu.Unlock()
				select {
				case h.ackc <- struct{}{}:
				default:
				}
				break
			}
			var perm *crashPermanent
			if errors.As(err, &perm) {
				h.fail(fmt.Errorf("client %d: key %s: %w", client, key, err))
				h.mu.Lock()
				h.pending = append(h.pending, key)
				h.mu.Unlock()
				return
			}
			h.mu.Lock()
			h.retries++
			h.mu.Unlock()
			time.Sleep(time.Duration(10+mrand.IntN(20)) * time.Millisecond)
		}
	}
}

type crashPermanent struct{ msg string }

func (e *crashPermanent) Error() string { return e.msg }

func crashNarrative(key string) string { return "synthetic crash-test contact; key=" + key }

// post creates the contact for key. A transport error or a 5xx is an
// ordinary error (retry the key); anything else unexpected is permanent.
func (h *crashHarness) post(ctx context.Context, key string) (int, crashAck, error) {
	body, _ := json.Marshal(map[string]any{
		"received_at": time.Now().UTC().Add(-time.Minute).Format(time.RFC3339),
		"channel":     "phone", "cohort": "child",
		"referrer": map[string]any{"name": "A Teacher", "anonymous": false},
		"subjects": []map[string]any{{"role": "subject", "given_name": "Test", "family_name": "Child", "dob": "2015-04-03"}},
		"concerns": []string{"16A"}, "narrative": crashNarrative(key),
		"consent": map[string]any{"family_aware": true, "status": "given"},
	})
	req, err := http.NewRequestWithContext(ctx, "POST", "http://"+h.addr+"/api/v1/contacts", bytes.NewReader(body))
	if err != nil {
		return 0, crashAck{}, &crashPermanent{err.Error()}
	}
	req.Header.Set("Authorization", "Bearer "+h.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, crashAck{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, crashAck{}, err // cut off mid-answer: not acknowledged
	}
	switch {
	case resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusOK:
		var out struct{ ID, Reference string }
		if err := json.Unmarshal(data, &out); err != nil || out.ID == "" || out.Reference == "" {
			return 0, crashAck{}, &crashPermanent{fmt.Sprintf("%d with a bad body (%v): %.200s", resp.StatusCode, err, data)}
		}
		return resp.StatusCode, crashAck{id: out.ID, ref: out.Reference, status: resp.StatusCode}, nil
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusConflict:
		return 0, crashAck{}, fmt.Errorf("status %d: %.200s", resp.StatusCode, data)
	}
	return 0, crashAck{}, &crashPermanent{fmt.Sprintf("status %d: %.300s", resp.StatusCode, data)}
}

// verify checks, on a fresh hub, that every acknowledged contact is there
// and nothing is duplicated, then retries every unacknowledged key once more.
func (h *crashHarness) verify() {
	t := h.t
	t.Helper()
	// 1. Every acknowledged contact through the API.
	keys := make([]string, 0, len(h.acked))
	for k := range h.acked {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	gone := make([]bool, len(keys))
	var wg sync.WaitGroup
	var next sync.Mutex
	i := 0
	for range crashClients {
		wg.Go(func() {
			for {
				next.Lock()
				j := i
				i++
				next.Unlock()
				if j >= len(keys) {
					return
				}
				var err error
				gone[j], err = h.fetch(keys[j], h.acked[keys[j]])
				if err != nil {
					h.fail(err)
				}
			}
		})
	}
	wg.Wait()
	if err := h.firstErr(); err != nil {
		t.Fatalf("verification failed (not counted as a loss): %v", err)
	}

	// 2. The database itself: one contact per key at most, every contact
	// from a key this run sent, and agreement with the API.
	byKey := h.snapshot()
	for j, k := range keys {
		id, inDB := byKey[k]
		switch {
		case gone[j] && inDB:
			t.Fatalf("verification failed: key %s: the API says %s is gone but the database holds %s", k, h.acked[k].id, id)
		case gone[j]:
			h.lost++
			if h.lost <= 3 {
				t.Logf("lost: key %s, contact %s (%s), acknowledged with %d", k, h.acked[k].id, h.acked[k].ref, h.acked[k].status)
			}
		case id != h.acked[k].id:
			t.Fatalf("key %s: acknowledged as %s but the database has %s", k, h.acked[k].id, id)
		default:
			h.present++
		}
	}
	var unacked []string
	for k := range h.sent {
		if _, ok := h.acked[k]; !ok {
			unacked = append(unacked, k)
			if _, ok := byKey[k]; ok {
				h.unackedPresent++
			}
		}
	}
	slices.Sort(unacked)

	// 3. A retry of each unacknowledged key returns the contact already
	// stored, if any, and otherwise creates it: still one per key.
	for _, k := range unacked {
		status, ack, err := h.post(context.Background(), k)
		if err != nil {
			t.Fatalf("verification failed: final retry of key %s: %v", k, err)
		}
		if id, ok := byKey[k]; ok && (status != http.StatusOK || ack.id != id) {
			t.Fatalf("duplicate: key %s held %s, but its retry answered %d with %s", k, id, status, ack.id)
		} else if !ok && status != http.StatusCreated {
			t.Fatalf("key %s had no contact, but its retry answered %d with %s", k, status, ack.id)
		}
	}
	after := h.snapshot()
	for _, k := range unacked {
		if _, ok := after[k]; !ok {
			t.Fatalf("key %s: retried and acknowledged, but not in the database", k)
		}
	}
}

// fetch GETs an acknowledged contact: gone is true on a 404; any other
// failure is a verification error, never a loss.
func (h *crashHarness) fetch(key string, ack crashAck) (gone bool, err error) {
	for attempt := 0; ; attempt++ {
		gone, err = h.fetchOnce(key, ack)
		var perm *crashPermanent
		if err == nil || errors.As(err, &perm) || attempt == 2 {
			return gone, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (h *crashHarness) fetchOnce(key string, ack crashAck) (bool, error) {
	req, _ := http.NewRequest("GET", "http://"+h.addr+"/api/v1/contacts/"+ack.id, nil)
	req.Header.Set("Authorization", "Bearer "+h.token)
	resp, err := h.client.Do(req)
	if err != nil {
		return false, fmt.Errorf("GET contact %s: %w", ack.id, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return false, fmt.Errorf("GET contact %s: %w", ack.id, err)
	}
	switch resp.StatusCode {
	case http.StatusNotFound:
		return true, nil
	case http.StatusOK:
		var c struct{ ID, Reference, Narrative string }
		if err := json.Unmarshal(data, &c); err != nil {
			return false, &crashPermanent{fmt.Sprintf("GET contact %s: bad body: %v", ack.id, err)}
		}
		if c.ID != ack.id || c.Reference != ack.ref || c.Narrative != crashNarrative(key) {
			return false, &crashPermanent{fmt.Sprintf("GET contact %s: got %s %s %q, want reference %s and key %s",
				ack.id, c.ID, c.Reference, c.Narrative, ack.ref, key)}
		}
		return false, nil
	}
	return false, fmt.Errorf("GET contact %s: status %d: %.200s", ack.id, resp.StatusCode, data)
}

// snapshot reads every contact from the database and checks that each has
// exactly one idempotency key, its own, sent by this run, and that no key
// has two contacts. It returns key → contact id. (The join is done here:
// idempotency_keys has no index on contact_id.)
func (h *crashHarness) snapshot() map[string]string {
	t := h.t
	t.Helper()
	driver, dsn := "pgx", h.cfg.url
	if !strings.HasPrefix(dsn, "postgres") {
		driver, dsn = "sqlite", "file:"+strings.TrimPrefix(dsn, "file:")+"?_pragma=busy_timeout(10000)"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatalf("verification failed: open database: %v", err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	read := func(query string, fn func(a, b string)) {
		t.Helper()
		rows, err := db.QueryContext(ctx, query)
		if err != nil {
			t.Fatalf("verification failed: %s: %v", query, err)
		}
		defer rows.Close()
		for rows.Next() {
			var a, b string
			if err := rows.Scan(&a, &b); err != nil {
				t.Fatalf("verification failed: %s: %v", query, err)
			}
			fn(a, b)
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("verification failed: %s: %v", query, err)
		}
	}
	keyOf := map[string][]string{} // contact id → its idempotency keys
	read(`SELECT contact_id, key FROM idempotency_keys`, func(id, key string) { keyOf[id] = append(keyOf[id], key) })
	byKey := map[string]string{}
	n := 0
	read(`SELECT id, narrative FROM contacts`, func(id, narrative string) {
		n++
		key, ok := strings.CutPrefix(narrative, crashNarrative(""))
		switch {
		case !ok || !h.sent[key]:
			t.Fatalf("contact %s was not sent by this run: %q", id, narrative)
		case len(keyOf[id]) != 1 || keyOf[id][0] != key:
			t.Fatalf("contact %s (key %s) has idempotency keys %q", id, key, keyOf[id])
		}
		if other, dup := byKey[key]; dup {
			t.Fatalf("duplicate: key %s has contacts %s and %s", key, other, id)
		}
		byKey[key] = id
		delete(keyOf, id)
	})
	if len(keyOf) > 0 {
		t.Fatalf("%d idempotency keys name contacts that do not exist", len(keyOf))
	}
	if n > len(h.sent) {
		t.Fatalf("%d contacts for %d keys sent", n, len(h.sent))
	}
	return byKey
}

// crashFreeAddr returns a loopback address with a port free right now.
func crashFreeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// crashLog keeps the last 16 KiB a subprocess wrote.
type crashLog struct {
	mu  sync.Mutex
	buf []byte
}

func (l *crashLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	if over := len(l.buf) - 16<<10; over > 0 {
		l.buf = append(l.buf[:0], l.buf[over:]...)
	}
	return len(p), nil
}

func (l *crashLog) String() string {
	if l == nil {
		return ""
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.buf)
}

// crashPG is a PostgreSQL server the test runs itself, in a temporary data
// directory, so the test can kill it.
type crashPG struct {
	t        *testing.T
	bin      string // directory of initdb and postgres
	dir      string
	port     int
	cred     *syscall.Credential // the postgres user, when the test runs as root
	settings []string
	created  bool

	cmd  *exec.Cmd
	done chan struct{}
	log  *crashLog
}

// crashPostgres initialises a data directory for a server with the given
// settings. It skips the test when PostgreSQL's binaries are not installed
// (fails it when MASH_TEST_REQUIRE_POSTGRES=1).
func crashPostgres(t *testing.T, settings ...string) *crashPG {
	t.Helper()
	skip := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("MASH_TEST_REQUIRE_POSTGRES") == "1" {
			t.Fatalf(format+" (MASH_TEST_REQUIRE_POSTGRES=1)", args...)
		}
		t.Skipf(format, args...)
	}
	bin := crashPGBin()
	if bin == "" {
		skip("no PostgreSQL server binaries (initdb, postgres) in /usr/lib/postgresql/*/bin or on PATH")
	}
	pg := &crashPG{t: t, bin: bin, settings: settings}
	var err error
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root.
		u, err := user.Lookup("postgres")
		if err != nil {
			skip("running as root and there is no postgres user to run the server as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		pg.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	if pg.dir, err = os.MkdirTemp("", "mash-crash-pg-"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		pg.kill()
		os.RemoveAll(pg.dir)
	})
	if pg.cred != nil {
		if err := os.Chown(pg.dir, int(pg.cred.Uid), int(pg.cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	port := crashFreeAddr(t)
	pg.port, _ = strconv.Atoi(port[strings.LastIndex(port, ":")+1:])
	cmd := pg.command("initdb", "-D", pg.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	return pg
}

func crashPGBin() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { // newest major version first
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return vb - va
	})
	if p, err := exec.LookPath("initdb"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	for _, d := range dirs {
		if crashIsFile(filepath.Join(d, "initdb")) && crashIsFile(filepath.Join(d, "postgres")) {
			return d
		}
	}
	return ""
}

func crashIsFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

func (pg *crashPG) data() string { return filepath.Join(pg.dir, "data") }

func (pg *crashPG) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", pg.port, db)
}

func (pg *crashPG) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(pg.bin, name), args...)
	cmd.Dir = pg.dir
	cmd.Env = []string{"PATH=" + pg.bin + ":/usr/bin:/bin", "LC_ALL=C", "HOME=" + pg.dir}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: pg.cred}
	return cmd
}

// start runs the server (recovering after a kill) and waits until it
// accepts connections; the first start creates the hub's database.
func (pg *crashPG) start() {
	t := pg.t
	t.Helper()
	pg.log = &crashLog{}
	args := append([]string{"-D", pg.data(), "-p", strconv.Itoa(pg.port), "-k", pg.dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "shared_buffers=32MB", "-c", "max_connections=60"}, pg.settings...)
	cmd := pg.command("postgres", args...)
	cmd.Stdout, cmd.Stderr = pg.log, pg.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start postgres: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	pg.cmd, pg.done = cmd, done
	db, err := sql.Open("pgx", pg.url("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-done:
			t.Fatalf("postgres exited while starting:\n%s", pg.log)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err = db.PingContext(ctx)
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("postgres did not accept connections in 60 s (%v):\n%s", err, pg.log)
		}
		time.Sleep(25 * time.Millisecond)
	}
	if !pg.created {
		if _, err := db.Exec("CREATE DATABASE mash"); err != nil {
			t.Fatalf("postgres: create database: %v", err)
		}
		pg.created = true
	}
}

func (pg *crashPG) exec(query string) {
	pg.t.Helper()
	db, err := sql.Open("pgx", pg.url("postgres"))
	if err != nil {
		pg.t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(query); err != nil {
		pg.t.Fatalf("postgres: %s: %v", query, err)
	}
}

// kill SIGKILLs the postmaster and every process it started, at once, as a
// crash would: nothing gets to flush. Each server process is its own process
// group leader, so killing the postmaster's group is not enough. The
// postmaster is stopped first so it cannot start another while we look.
func (pg *crashPG) kill() {
	if pg.cmd == nil {
		return
	}
	pm := pg.cmd.Process.Pid
	syscall.Kill(pm, syscall.SIGSTOP)
	kids := crashDescendants(pm)
	for _, p := range kids {
		syscall.Kill(p, syscall.SIGKILL)
	}
	syscall.Kill(pm, syscall.SIGKILL)
	<-pg.done
	pg.cmd = nil
	// A process in the middle of a system call dies when it returns; the
	// next postmaster refuses to start while one still holds the old
	// shared memory.
	deadline := time.Now().Add(30 * time.Second)
	for _, p := range kids {
		for crashAlive(p) {
			if time.Now().After(deadline) {
				pg.t.Fatalf("postgres process %d survived SIGKILL", p)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// crashDescendants lists every process below pid, from /proc.
func crashDescendants(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	children := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if pp := crashParent(p); pp > 0 {
			children[pp] = append(children[pp], p)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// crashStat returns the state and parent pid of a process from
// /proc/PID/stat: "pid (comm) state ppid ...", where comm may hold spaces.
func crashStat(pid int) (state string, ppid int) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 2 {
		return "", 0
	}
	ppid, _ = strconv.Atoi(f[1])
	return f[0], ppid
}

func crashParent(pid int) int { _, pp := crashStat(pid); return pp }

// crashAlive is false once a process is gone or a zombie.
func crashAlive(pid int) bool {
	state, _ := crashStat(pid)
	return state != "" && state != "Z" && state != "X"
}
