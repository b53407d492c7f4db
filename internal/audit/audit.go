// Package audit makes the hub's audit log tamper-evident: a hash chain links
// every event to the one before it, and signed checkpoints of a Merkle tree
// over the events, kept outside the database, pin down how long the log was
// and what it held.
//
// # The chain
//
// Events are numbered by seq from 1 with no gaps. Each event carries
// prev_hash, the hash of the event before it ([Genesis] for the first), and
// hash, the lowercase hex SHA-256 of its canonical encoding. The encoding
// covers every column except hash itself, seq and prev_hash included, so an
// event's hash commits to its position and to the whole log before it.
//
// # Canonical encoding (version 1)
//
// The ASCII tag "openmash-audit-event-v1", then thirteen fields in this
// order, each as its length in bytes (an 8-byte big-endian unsigned integer)
// followed by its bytes:
//
//	seq          in decimal, no sign or leading zeros
//	id
//	at           in UTC, RFC 3339 with nine fractional digits,
//	             e.g. 2026-01-02T15:04:05.123456000Z
//	actor_id, actor_role, agency_id, action, entity_type, entity_id,
//	request_id, client_ip, reason
//	prev_hash    64 lowercase hex digits
//
// The text fields are their stored bytes. The length prefixes make the
// encoding unambiguous whatever the fields contain. Stores keep at to the
// microsecond (PostgreSQL's precision), so what is hashed is what is read back.
//
// # Checkpoints
//
// The leaves of an RFC 6962 Merkle tree are the events' hashes (the 32 bytes,
// as record data for [tlog.RecordHash]) in seq order. A checkpoint is a note
// (golang.org/x/mod/sumdb/note) signed with Ed25519 whose text is in the
// C2SP tlog-checkpoint form:
//
//	openmash.org/mash/audit
//	<tree size, decimal>
//	<root hash, base64>
//
// Each checkpoint is a file of its own, never overwritten. Verifying the log
// against a checkpoint catches what the chain alone cannot: removal of the
// newest events, and a rewrite of the chain with every hash recomputed.
//
// # Events from before the chain
//
// Events written before the chain existed (migration 00006) have empty
// prev_hash and hash. They may only come first; the chain and the tree start
// at the first hashed event, and they are reported as not covered.
package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"time"
)

// Genesis is the prev_hash of the first event in the chain.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// encodingTag starts every canonical encoding; a new encoding gets a new tag.
const encodingTag = "openmash-audit-event-v1"

// timeLayout is RFC 3339 in UTC with a fixed nine-digit fraction.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// Event is one row of audit_events.
type Event struct {
	Seq        int64
	ID         string
	At         time.Time
	ActorID    string
	ActorRole  string
	AgencyID   string
	Action     string
	EntityType string
	EntityID   string
	RequestID  string
	ClientIP   string
	Reason     string
	PrevHash   string
	Hash       string
}

// AppendCanonical appends e's canonical encoding (see the package comment)
// to b.
func (e *Event) AppendCanonical(b []byte) []byte {
	b = append(b, encodingTag...)
	var num [20]byte
	b = appendField(b, strconv.AppendInt(num[:0], e.Seq, 10))
	b = appendString(b, e.ID)
	var at [len(timeLayout)]byte
	b = appendField(b, e.At.UTC().AppendFormat(at[:0], timeLayout))
	for _, s := range [...]string{e.ActorID, e.ActorRole, e.AgencyID, e.Action, e.EntityType,
		e.EntityID, e.RequestID, e.ClientIP, e.Reason, e.PrevHash} {
		b = appendString(b, s)
	}
	return b
}

func appendField(b, f []byte) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(len(f)))
	return append(b, f...)
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(len(s)))
	return append(b, s...)
}

// ComputeHash returns the hash e should carry: hex SHA-256 of its canonical
// encoding.
func (e *Event) ComputeHash() string {
	var buf [512]byte
	sum := sha256.Sum256(e.AppendCanonical(buf[:0]))
	return hex.EncodeToString(sum[:])
}
